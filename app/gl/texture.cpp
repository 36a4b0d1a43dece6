#include "gl/texture.h"

#include <opencv2/imgproc.hpp>

#include <utility>

namespace lp::gl {

Texture& Texture::operator=(Texture&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = std::exchange(o.id_, 0);
    w_ = std::exchange(o.w_, 0);
    h_ = std::exchange(o.h_, 0);
    internal_ = std::exchange(o.internal_, 0);
    wide_ = std::move(o.wide_);
  }
  return *this;
}

void Texture::reset() {
  if (id_) glDeleteTextures(1, &id_);
  id_ = 0;
  w_ = h_ = 0;
  internal_ = 0;
}

void Texture::upload(const cv::Mat& image, bool is_bgr) {
  if (image.empty()) return;
  CV_Assert(image.depth() == CV_8U);
  int ch = image.channels();
  cv::Mat cont;
  if (ch == 3) {
    cv::cvtColor(image, wide_, is_bgr ? cv::COLOR_BGR2BGRA : cv::COLOR_RGB2RGBA);
    cont = wide_;
    ch = 4;
  } else {
    cont = image.isContinuous() ? image : image.clone();
  }
  const GLenum internal = ch == 1 ? GL_R8 : GL_RGBA8;
  const GLenum format = ch == 1 ? GL_RED : (is_bgr ? GL_BGRA : GL_RGBA);
  if (!id_) {
    glGenTextures(1, &id_);
    glBindTexture(GL_TEXTURE_2D, id_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  } else {
    glBindTexture(GL_TEXTURE_2D, id_);
  }
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  if (w_ != cont.cols || h_ != cont.rows || internal_ != internal) {
    glTexImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(internal), cont.cols, cont.rows, 0, format,
                 GL_UNSIGNED_BYTE, cont.data);
    w_ = cont.cols;
    h_ = cont.rows;
    internal_ = internal;
  } else {
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, cont.cols, cont.rows, format, GL_UNSIGNED_BYTE, cont.data);
  }
  if (ch == 1) {
    // Show single-channel images as gray in ImGui, not red.
    const GLint swz[4] = {GL_RED, GL_RED, GL_RED, GL_ONE};
    glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, swz);
  }
  glBindTexture(GL_TEXTURE_2D, 0);
}

void Texture::allocate(int width, int height) {
  if (id_ && w_ == width && h_ == height && internal_ == GL_RGBA8) return;
  reset();
  glGenTextures(1, &id_);
  glBindTexture(GL_TEXTURE_2D, id_);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindTexture(GL_TEXTURE_2D, 0);
  w_ = width;
  h_ = height;
  internal_ = GL_RGBA8;
}

void Texture::set_clamp_to_border() {
  if (!id_) return;
  glBindTexture(GL_TEXTURE_2D, id_);
  const float zero[4] = {0, 0, 0, 0};
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_BORDER);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_BORDER);
  glTexParameterfv(GL_TEXTURE_2D, GL_TEXTURE_BORDER_COLOR, zero);
  glBindTexture(GL_TEXTURE_2D, 0);
}

RenderTarget::~RenderTarget() {
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
}

bool RenderTarget::ensure(int width, int height) {
  if (fbo_ && tex_.width() == width && tex_.height() == height) return true;
  tex_.allocate(width, height);
  if (!fbo_) glGenFramebuffers(1, &fbo_);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex_.id(), 0);
  const bool ok = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  return ok;
}

void RenderTarget::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, tex_.width(), tex_.height());
}

void RenderTarget::unbind() { glBindFramebuffer(GL_FRAMEBUFFER, 0); }

cv::Mat RenderTarget::read_bgr() const {
  cv::Mat rgba(tex_.height(), tex_.width(), CV_8UC4);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, tex_.width(), tex_.height(), GL_RGBA, GL_UNSIGNED_BYTE, rgba.data);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  // Our passes write image row 0 at the top of NDC, which GL stores as the last
  // row of the framebuffer; flip so row 0 comes first.
  cv::Mat bgr;
  cv::cvtColor(rgba, bgr, cv::COLOR_RGBA2BGR);
  cv::flip(bgr, bgr, 0);
  return bgr;
}

}  // namespace lp::gl
