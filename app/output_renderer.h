#pragma once
// Turns the engine's AnimatedFrame into the picture in the Output panel, on
// the GPU: the neural crop is pasted back into the source (PasteBackPass),
// the classic mesh warps the source (MeshWarpPass), and without a source the
// driving frame is shown as it is. Also keeps the source and driving
// textures the other panels show.
#include "gl/paste_back_pass.h"
#include "gl/texture.h"
#include "session/engine.h"

#include <memory>
#include <string>

namespace lp {

namespace gl {
class MeshWarpPass;
}

class OutputRenderer {
 public:
  OutputRenderer();
  ~OutputRenderer();

  // Compiles the shaders. False + error (file:line) if one fails.
  bool init(std::string& error);

  // Uploads what changed and renders the output. Returns false when there is
  // nothing to show yet.
  bool render(const AnimatedFrame& frame);

  // The composited output (bottom-up GL texture: flip V when drawing).
  const gl::Texture& output() const { return output_rt_.texture(); }
  bool has_output() const { return has_output_; }
  // Source and driving images (top-down textures).
  const gl::Texture& source() const { return source_tex_; }
  const gl::Texture& driving() const { return driving_tex_; }
  // Reads the output back (tests, screenshots).
  cv::Mat read_output_bgr() const { return output_rt_.read_bgr(); }

 private:
  gl::PasteBackPass paste_;
  std::unique_ptr<gl::MeshWarpPass> mesh_;
  gl::RenderTarget output_rt_;
  gl::Texture source_tex_, crop_tex_, driving_tex_;
  const SourceImage* uploaded_source_ = nullptr;
  std::shared_ptr<const SourceImage> source_keepalive_;
  bool has_output_ = false;
};

}  // namespace lp
