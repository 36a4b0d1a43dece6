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

  // The composited output: a texture, its size, and whether its rows are
  // stored bottom-up (GL render target) so the view must flip it.
  struct View {
    GLuint id = 0;
    int width = 0, height = 0;
    bool flip_v = false;
  };
  View output() const { return view_; }
  bool has_output() const { return has_output_; }
  // Source and driving images (top-down textures). While a portrait is shown
  // the driving texture is a thumbnail (longer side at most kDrivingThumbnailSide).
  const gl::Texture& source() const { return source_tex_; }
  const gl::Texture& driving() const { return driving_tex_; }
  static constexpr int kDrivingThumbnailSide = 640;
  // Reads the output back (recording, tests, screenshots), top row first.
  cv::Mat read_output_bgr() const;

 private:
  gl::PasteBackPass paste_;
  std::unique_ptr<gl::MeshWarpPass> mesh_;
  gl::RenderTarget output_rt_;
  gl::Texture source_tex_, crop_tex_, driving_tex_;
  cv::Mat driving_small_;  // the shrunk driving frame (reused buffer)
  const SourceImage* uploaded_source_ = nullptr;
  std::shared_ptr<const SourceImage> source_keepalive_;
  bool has_output_ = false;
  View view_;
  bool view_is_mesh_ = false;  // the mesh pass's own texture is shown (no extra copy)
};

}  // namespace lp
