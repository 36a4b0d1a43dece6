#include "gl/paste_back_pass.h"

namespace lp::gl {

bool PasteBackPass::init() {
  if (!program_.load("fullscreen.vert", "paste_back.frag")) return false;
  if (!blit_.load("fullscreen.vert", "blit.frag")) {
    program_ = std::move(blit_);  // carry the error message
    return false;
  }
  if (!vao_) glGenVertexArrays(1, &vao_);  // core profile needs a bound VAO
  return true;
}

void PasteBackPass::set_mask(const cv::Mat& mask) {
  cv::Mat m8;
  if (mask.depth() == CV_8U)
    m8 = mask;
  else
    mask.convertTo(m8, CV_8U, 255.0);
  mask_.upload(m8, false);
  mask_.set_clamp_to_border();
}

void PasteBackPass::render(const Texture& source, const Texture& crop,
                           const cv::Matx23d& crop_to_source, RenderTarget& target,
                           const cv::Vec3f& color_shift) {
  target.ensure(source.width(), source.height());
  target.bind();
  program_.use();
  // Invert M_c2o to get M_o2c (the shader maps output pixels into the crop).
  cv::Matx33d c2o(crop_to_source(0, 0), crop_to_source(0, 1), crop_to_source(0, 2),
                  crop_to_source(1, 0), crop_to_source(1, 1), crop_to_source(1, 2), 0, 0, 1);
  cv::Matx33d o2c = c2o.inv();
  // GLSL mat3 is column-major: upload the transpose of the row-major matrix.
  float m[9];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) m[c * 3 + r] = static_cast<float>(o2c(r, c));
  glUniformMatrix3fv(program_.uniform("u_o2c"), 1, GL_FALSE, m);
  glUniform2f(program_.uniform("u_target_size"), float(source.width()), float(source.height()));
  glUniform2f(program_.uniform("u_source_size"), float(source.width()), float(source.height()));
  glUniform2f(program_.uniform("u_crop_size"), float(crop.width()), float(crop.height()));
  glUniform3f(program_.uniform("u_color_shift"), color_shift[0], color_shift[1], color_shift[2]);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, source.id());
  glUniform1i(program_.uniform("u_source"), 0);
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, crop.id());
  // The crop must read as 0 outside its square, like the mask.
  const float zero[4] = {0, 0, 0, 0};
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_BORDER);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_BORDER);
  glTexParameterfv(GL_TEXTURE_2D, GL_TEXTURE_BORDER_COLOR, zero);
  glUniform1i(program_.uniform("u_crop"), 1);
  glActiveTexture(GL_TEXTURE2);
  glBindTexture(GL_TEXTURE_2D, mask_.id());
  glUniform1i(program_.uniform("u_mask"), 2);
  glDisable(GL_BLEND);
  glBindVertexArray(vao_);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  glActiveTexture(GL_TEXTURE0);
  RenderTarget::unbind();
}

void PasteBackPass::render_texture(GLuint texture, int width, int height, RenderTarget& target) {
  target.ensure(width, height);
  target.bind();
  blit_.use();
  glUniform2f(blit_.uniform("u_target_size"), float(width), float(height));
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, texture);
  glUniform1i(blit_.uniform("u_image"), 0);
  glDisable(GL_BLEND);
  glBindVertexArray(vao_);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  RenderTarget::unbind();
}

}  // namespace lp::gl
