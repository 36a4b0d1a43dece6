#include "core/animation_region.h"

namespace lp {

std::array<bool, 63> expression_region_mask(AnimationRegion region, bool relative) {
  std::array<bool, 63> m{};
  auto row = [&m](int kp) {
    for (int a = 0; a < 3; ++a) m[static_cast<size_t>(3 * kp + a)] = true;
  };
  switch (region) {
    case AnimationRegion::All:
    case AnimationRegion::Expression:
      if (relative) {
        m.fill(true);
      } else {
        for (int kp : {1, 2, 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}) row(kp);
        m[3 * 3 + 1] = m[3 * 4 + 1] = true;  // y of 3, 4
        m[3 * 5 + 2] = true;                 // z of 5
        m[3 * 8 + 2] = true;                 // z of 8
        m[3 * 9 + 1] = m[3 * 9 + 2] = true;  // y, z of 9
      }
      break;
    case AnimationRegion::Lips:
      for (int kp : kLipKeypoints) row(kp);
      break;
    case AnimationRegion::Eyes:
      for (int kp : kEyeKeypoints) row(kp);
      break;
    case AnimationRegion::Pose:
      break;
  }
  return m;
}

bool region_drives_pose(AnimationRegion region) {
  return region == AnimationRegion::All || region == AnimationRegion::Pose;
}

bool region_drives_scale(AnimationRegion region, bool relative) {
  return relative && region == AnimationRegion::All;
}

const char* region_name(AnimationRegion region) {
  switch (region) {
    case AnimationRegion::All: return "all";
    case AnimationRegion::Expression: return "exp";
    case AnimationRegion::Pose: return "pose";
    case AnimationRegion::Lips: return "lip";
    case AnimationRegion::Eyes: return "eyes";
  }
  return "?";
}

}  // namespace lp
