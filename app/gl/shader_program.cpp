#include "gl/shader_program.h"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#ifndef LIVEPUPPET_SHADER_DIR_DEFAULT
#define LIVEPUPPET_SHADER_DIR_DEFAULT "shaders"
#endif

namespace lp::gl {

std::filesystem::path shader_dir() {
  if (const char* env = std::getenv("LIVEPUPPET_SHADER_DIR"); env && *env) return env;
  std::filesystem::path baked = LIVEPUPPET_SHADER_DIR_DEFAULT;
  if (std::filesystem::exists(baked)) return baked;
  return "shaders";
}

namespace {

bool read_text(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// Mesa and NVIDIA print "0:12(3): error: ..." or "0(12) : error ..."; rewrite the
// leading source-string/line pair as "file:line:" so errors point at the file.
std::string annotate_log(const std::string& log, const std::string& file) {
  std::istringstream in(log);
  std::ostringstream out;
  static const std::regex mesa(R"(^\s*\d+:(\d+)\(\d+\):\s*(.*)$)");
  static const std::regex nvidia(R"(^\s*\d+\((\d+)\)\s*:\s*(.*)$)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, mesa) || std::regex_match(line, m, nvidia))
      out << file << ":" << m[1] << ": " << m[2] << "\n";
    else if (!line.empty())
      out << file << ": " << line << "\n";
  }
  return out.str();
}

// Inserts the #define lines after the #version line (which must come first),
// then "#line 2" so the compiler numbers the file's own lines as in the file.
// False when the file does not start with #version (nowhere to put them).
bool insert_defines(std::string& src, const std::vector<std::string>& defines) {
  if (defines.empty()) return true;
  const size_t eol = src.find('\n');
  if (eol == std::string::npos || src.compare(0, 8, "#version") != 0) return false;
  std::string lines;
  for (const auto& d : defines) lines += "#define " + d + "\n";
  src.insert(eol + 1, lines + "#line 2\n");
  return true;
}

GLuint compile(GLenum type, const std::filesystem::path& path, const std::vector<std::string>& defines,
               std::string& error) {
  std::string src;
  const std::string shown = "shaders/" + path.filename().string();
  if (!read_text(path, src)) {
    error = shown + ": cannot read shader file (looked in " + path.string() + ")";
    return 0;
  }
  if (!insert_defines(src, defines)) {
    error = shown + ":1: the first line must be #version (a variant of this shader adds #define lines after it)";
    return 0;
  }
  GLuint s = glCreateShader(type);
  const char* p = src.c_str();
  glShaderSource(s, 1, &p, nullptr);
  glCompileShader(s);
  GLint ok = 0;
  glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    GLint len = 0;
    glGetShaderiv(s, GL_INFO_LOG_LENGTH, &len);
    std::string log(static_cast<size_t>(len > 1 ? len : 1), '\0');
    glGetShaderInfoLog(s, len, nullptr, log.data());
    error = annotate_log(log.c_str(), shown);
    glDeleteShader(s);
    return 0;
  }
  return s;
}

}  // namespace

ShaderProgram::~ShaderProgram() {
  if (id_) glDeleteProgram(id_);
}

ShaderProgram::ShaderProgram(ShaderProgram&& other) noexcept
    : id_(other.id_), error_(std::move(other.error_)) {
  other.id_ = 0;
}

ShaderProgram& ShaderProgram::operator=(ShaderProgram&& other) noexcept {
  if (this != &other) {
    if (id_) glDeleteProgram(id_);
    id_ = other.id_;
    error_ = std::move(other.error_);
    other.id_ = 0;
  }
  return *this;
}

bool ShaderProgram::load(const std::string& vert_name, const std::string& frag_name,
                         const std::vector<std::string>& defines) {
  error_.clear();
  const auto dir = shader_dir();
  GLuint vs = compile(GL_VERTEX_SHADER, dir / vert_name, defines, error_);
  if (!vs) return false;
  GLuint fs = compile(GL_FRAGMENT_SHADER, dir / frag_name, defines, error_);
  if (!fs) {
    glDeleteShader(vs);
    return false;
  }
  GLuint prog = glCreateProgram();
  glAttachShader(prog, vs);
  glAttachShader(prog, fs);
  glLinkProgram(prog);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(prog, GL_LINK_STATUS, &ok);
  if (!ok) {
    GLint len = 0;
    glGetProgramiv(prog, GL_INFO_LOG_LENGTH, &len);
    std::string log(static_cast<size_t>(len > 1 ? len : 1), '\0');
    glGetProgramInfoLog(prog, len, nullptr, log.data());
    error_ = "shaders/" + vert_name + " + shaders/" + frag_name + ": link failed: " + log.c_str();
    glDeleteProgram(prog);
    return false;
  }
  if (id_) glDeleteProgram(id_);
  id_ = prog;
  return true;
}

}  // namespace lp::gl
