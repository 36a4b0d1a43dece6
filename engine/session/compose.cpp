#include "compose.h"

#include "classic/warp_mesh.h"
#include "classic/warp_render_cpu.h"
#include "vision/paste_back.h"

#include <opencv2/imgproc.hpp>

namespace lp {

cv::Mat compose_cpu(const AnimatedFrame& f) {
  if (f.source && !f.crop_rgb.empty()) {
    cv::Mat crop_bgr;
    cv::cvtColor(f.crop_rgb, crop_bgr, cv::COLOR_RGB2BGR);
    if (f.color_shift != cv::Vec3f(0, 0, 0))  // same shift as the GL paste-back (RGB, 0..1)
      cv::add(crop_bgr, cv::Scalar(f.color_shift[2] * 255.0, f.color_shift[1] * 255.0, f.color_shift[0] * 255.0), crop_bgr);
    if (!f.paste_back) return crop_bgr;
    PasteBackResult r = paste_back(crop_bgr, f.crop, f.source->bgr);
    return r.ok() ? r.image : crop_bgr;
  }
  if (f.source && f.mesh) return render_cpu(f.source->bgr, *f.mesh);
  if (!f.driving_bgr.empty()) return f.driving_bgr.clone();
  if (f.source) return f.source->bgr.clone();
  return {};
}

}  // namespace lp
