#pragma once
// How a face is cropped for the networks (official LivePortrait crop rule).

namespace lp {

struct CropParams {
  float scale = 2.3f;   // side of the square crop = longest landmark extent * scale
  float vx = 0.0f;      // centre shift along the face's x axis, in crop sizes
  float vy = -0.125f;   // centre shift along the face's y axis (negative = up)
  bool rotate = true;   // align the crop with the face's roll

  static CropParams source() { return CropParams{2.3f, 0.0f, -0.125f, true}; }
  static CropParams driving() { return CropParams{2.2f, 0.0f, -0.1f, true}; }
};

}  // namespace lp
