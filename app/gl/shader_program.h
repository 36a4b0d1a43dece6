#pragma once
// A GLSL program built from files in shaders/. Compile and link errors are
// reported with the file name and line so a broken shader is found at once.
#include "gl/gl.h"

#include <filesystem>
#include <string>
#include <vector>

namespace lp::gl {

// Where shader files live: $LIVEPUPPET_SHADER_DIR, else the source tree's
// shaders/ (baked in at build time), else ./shaders next to the executable.
std::filesystem::path shader_dir();

class ShaderProgram {
 public:
  ShaderProgram() = default;
  ~ShaderProgram();
  ShaderProgram(const ShaderProgram&) = delete;
  ShaderProgram& operator=(const ShaderProgram&) = delete;
  ShaderProgram(ShaderProgram&& other) noexcept;
  ShaderProgram& operator=(ShaderProgram&& other) noexcept;

  // Loads `<shader_dir>/<vert_name>` and `<shader_dir>/<frag_name>`, compiles
  // and links. Returns false and fills error() ("shaders/x.frag:12: ...") on failure.
  // `defines` ("NAME" or "NAME VALUE", one per entry) become #define lines
  // right after each file's #version line; error lines keep the file's numbering.
  bool load(const std::string& vert_name, const std::string& frag_name, const std::vector<std::string>& defines = {});

  bool valid() const { return id_ != 0; }
  GLuint id() const { return id_; }
  const std::string& error() const { return error_; }
  void use() const { glUseProgram(id_); }
  GLint uniform(const char* name) const { return glGetUniformLocation(id_, name); }

 private:
  GLuint id_ = 0;
  std::string error_;
};

}  // namespace lp::gl
