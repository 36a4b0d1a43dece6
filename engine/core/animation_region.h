#pragma once
// Which expression components and which parts of the pose an animation region
// takes from the driving frame (official live_portrait_pipeline.py index sets).
#include <array>

#include "common/animation_params.h"

namespace lp {

// Official keypoint index sets.
inline constexpr std::array<int, 6> kLipKeypoints = {6, 12, 14, 17, 19, 20};
inline constexpr std::array<int, 5> kEyeKeypoints = {11, 13, 15, 16, 18};

// true where the expression component (3*keypoint + axis) comes from the driving
// motion. Relative motion, region All/Expression: every component. Absolute
// motion, region All/Expression: the official subset (keypoints 1,2,6,11-20 whole,
// y of 3 and 4, z of 5, z of 8, y and z of 9). Lips / Eyes: those keypoints'
// rows. Pose: none.
std::array<bool, 63> expression_region_mask(AnimationRegion region, bool relative_motion);

// Whether the region takes rotation and translation from the driving frame
// (All, Pose), and scale (relative All only; absolute motion keeps the source scale).
bool region_drives_pose(AnimationRegion region);
bool region_drives_scale(AnimationRegion region, bool relative_motion);

const char* region_name(AnimationRegion region);

}  // namespace lp
