#include "output_renderer.h"

#include "gl/mesh_warp_pass.h"
#include "vision/paste_back.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace lp {

OutputRenderer::OutputRenderer() = default;
OutputRenderer::~OutputRenderer() = default;

bool OutputRenderer::init(std::string& error) {
  if (!paste_.init()) {
    error = paste_.error();
    return false;
  }
  paste_.set_mask(make_paste_back_mask(512, 16));
  mesh_ = std::make_unique<gl::MeshWarpPass>();
  if (!mesh_->init()) {
    error = mesh_->error();
    return false;
  }
  return true;
}

bool OutputRenderer::render(const AnimatedFrame& f) {
  // Driving view texture. When the output is a warped or pasted-back portrait
  // it is only the Driving panel's thumbnail (that panel is at most 420 UI
  // units wide): a 720p or 1080p frame is shrunk first, which on software GL
  // costs less than uploading it whole. Shown as the output, it stays whole.
  if (!f.driving_bgr.empty()) {
    const cv::Mat& d = f.driving_bgr;
    const bool thumbnail = f.source && (f.mesh || !f.crop_rgb.empty());
    const double shrink = thumbnail ? std::min(1.0, static_cast<double>(kDrivingThumbnailSide) / std::max(d.cols, d.rows)) : 1.0;
    if (shrink < 1.0) {
      cv::resize(d, driving_small_, cv::Size(), shrink, shrink, cv::INTER_AREA);
      driving_tex_.upload(driving_small_, true);
    } else {
      driving_tex_.upload(d, true);
    }
  }

  // Source texture: upload once per portrait.
  if (f.source && f.source.get() != uploaded_source_) {
    source_tex_.upload(f.source->bgr, true);
    if (mesh_) mesh_->invalidate();  // same texture id, new pixels
    uploaded_source_ = f.source.get();
    source_keepalive_ = f.source;
  }

  if (f.source && !f.crop_rgb.empty()) {
    // Neural: paste the crop back, or show the crop alone.
    crop_tex_.upload(f.crop_rgb, false);
    if (f.paste_back)
      paste_.render(source_tex_, crop_tex_, f.crop.M_c2o, output_rt_, f.color_shift);
    else
      paste_.render_crop_only(crop_tex_, output_rt_);
  } else if (f.source && f.mesh) {
    // Classic: warp the source with the driven mesh.
    // Shown straight from the pass's own texture: no full-size copy, which
    // matters on software OpenGL.
    const GLuint warped = mesh_->render(source_tex_.id(), *f.mesh);
    if (!warped) return has_output_;
    view_ = View{warped, mesh_->width(), mesh_->height(), false};
    view_is_mesh_ = true;
    has_output_ = true;
    return true;
  } else if (!f.driving_bgr.empty()) {
    // No source yet: show the driving frame as it is.
    paste_.render_crop_only(driving_tex_, output_rt_);
  } else if (f.source) {
    paste_.render_crop_only(source_tex_, output_rt_);
  } else {
    return has_output_;
  }
  view_ = View{output_rt_.texture().id(), output_rt_.width(), output_rt_.height(), true};
  view_is_mesh_ = false;
  has_output_ = true;
  return true;
}

cv::Mat OutputRenderer::read_output_bgr() const {
  if (!has_output_) return {};
  if (!view_is_mesh_) return output_rt_.read_bgr();
  // The mesh pass stores rows top-first (cv::Mat order): no flip.
  cv::Mat rgba(view_.height, view_.width, CV_8UC4);
  GLint prev = 0;
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev);
  glBindFramebuffer(GL_FRAMEBUFFER, mesh_->framebuffer());
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, view_.width, view_.height, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data);
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<GLuint>(prev));
  cv::Mat bgr;
  cv::cvtColor(rgba, bgr, cv::COLOR_RGBA2BGR);
  return bgr;
}

}  // namespace lp
