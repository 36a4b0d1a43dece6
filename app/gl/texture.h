#pragma once
// A GL texture that owns its id, uploaded from OpenCV images.
#include "gl/gl.h"

#include <opencv2/core.hpp>

namespace lp::gl {

class Texture {
 public:
  Texture() = default;
  ~Texture() { reset(); }
  Texture(const Texture&) = delete;
  Texture& operator=(const Texture&) = delete;
  Texture(Texture&& o) noexcept { *this = std::move(o); }
  Texture& operator=(Texture&& o) noexcept;

  // Uploads an 8-bit image (1 channel = gray/mask, 3 = BGR or RGB, 4 = BGRA).
  // Reallocates only when the size or format changes. `is_bgr` swaps R and B
  // through the upload format. 3-channel images are widened to 4 channels on
  // the CPU first (SIMD, into a reused buffer): 4-byte pixels are the GL
  // driver's copy-through path, while 3-byte ones are converted pixel by pixel
  // (on Mesa llvmpipe about 5x slower for a 720p frame).
  void upload(const cv::Mat& image, bool is_bgr = true);
  // Allocates an empty RGBA8 texture (render target storage).
  void allocate(int width, int height);
  // Sampling outside [0,1] returns transparent black (as OpenCV's BORDER_CONSTANT).
  void set_clamp_to_border();

  void reset();
  GLuint id() const { return id_; }
  int width() const { return w_; }
  int height() const { return h_; }
  bool valid() const { return id_ != 0; }
  // ImGui::Image takes a void* texture id.
  void* imgui_id() const { return reinterpret_cast<void*>(static_cast<intptr_t>(id_)); }

 private:
  GLuint id_ = 0;
  int w_ = 0, h_ = 0;
  GLenum internal_ = 0;
  cv::Mat wide_;  // 4-channel staging copy of a 3-channel upload
};

// An off-screen render target: a texture plus its framebuffer.
class RenderTarget {
 public:
  RenderTarget() = default;
  ~RenderTarget();
  RenderTarget(const RenderTarget&) = delete;
  RenderTarget& operator=(const RenderTarget&) = delete;

  // (Re)creates the target when the size changed. Returns false if the
  // framebuffer is incomplete.
  bool ensure(int width, int height);
  void bind() const;  // binds the FBO and sets the viewport
  static void unbind();
  // Reads the target back as an 8-bit BGR image, top row first.
  cv::Mat read_bgr() const;

  const Texture& texture() const { return tex_; }
  int width() const { return tex_.width(); }
  int height() const { return tex_.height(); }

 private:
  Texture tex_;
  GLuint fbo_ = 0;
};

}  // namespace lp::gl
