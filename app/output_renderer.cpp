#include "output_renderer.h"

#include "gl/mesh_warp_pass.h"
#include "vision/paste_back.h"

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
  // Driving view texture.
  if (!f.driving_bgr.empty()) driving_tex_.upload(f.driving_bgr, true);

  // Source texture: upload once per portrait.
  if (f.source && f.source.get() != uploaded_source_) {
    source_tex_.upload(f.source->bgr, true);
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
    const GLuint warped = mesh_->render(source_tex_.id(), *f.mesh);
    if (!warped) return has_output_;
    paste_.render_texture(warped, mesh_->width(), mesh_->height(), output_rt_);
  } else if (!f.driving_bgr.empty()) {
    // No source yet: show the driving frame as it is.
    paste_.render_crop_only(driving_tex_, output_rt_);
  } else if (f.source) {
    paste_.render_crop_only(source_tex_, output_rt_);
  } else {
    return has_output_;
  }
  has_output_ = true;
  return true;
}

}  // namespace lp
