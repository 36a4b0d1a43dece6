#pragma once
// The GL paste-back: composites the animated 512x512 crop into the full-size
// source through the inverse crop transform and the feathered crop mask.
// shaders/fullscreen.vert + shaders/paste_back.frag; the CPU oracle is
// lp::paste_back (engine/vision) and the two agree to > 40 dB PSNR.
#include "gl/shader_program.h"
#include "gl/texture.h"

#include <opencv2/core.hpp>

#include <string>

namespace lp::gl {

class PasteBackPass {
 public:
  // Compiles the shaders; false + error() on failure.
  bool init();
  const std::string& error() const { return program_.error(); }

  // Sets the mask (CV_8U or CV_32F in [0,1], crop-sized). Upload once per size.
  void set_mask(const cv::Mat& mask);

  // Renders into `target` (resized to the source): for every source pixel, the
  // crop sampled at M_o2c*p blended by the mask. `crop_to_source` is M_c2o (2x3).
  void render(const Texture& source, const Texture& crop, const cv::Matx23d& crop_to_source,
              RenderTarget& target, const cv::Vec3f& color_shift = {0, 0, 0});

  // Draws `image` alone into `target` (resized to the image).
  void render_crop_only(const Texture& image, RenderTarget& target) {
    render_texture(image.id(), image.width(), image.height(), target);
  }
  // Same for any top-row-first texture (e.g. the mesh-warp pass's output).
  void render_texture(GLuint texture, int width, int height, RenderTarget& target);

 private:
  ShaderProgram program_;
  ShaderProgram blit_;
  Texture mask_;
  GLuint vao_ = 0;
};

}  // namespace lp::gl
