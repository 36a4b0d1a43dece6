// Driving-motion composition: relative / absolute motion, animation regions,
// expression edits, the expression-friendly multiplier (convex hull) and the
// One-Euro smoothing of the driving motion.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "core/animation_region.h"
#include "core/convex_hull.h"
#include "core/expression_edit.h"
#include "core/motion.h"
#include "common/one_euro_filter.h"
#include "core/one_euro.h"
#include "fixture_util.h"

namespace {

using lp::test::fixture_raw_motion;
using lp::test::fixture_tensor;
using lp::test::max_abs_diff;

// Deterministic synthetic motion (no fixture needed).
lp::MotionInfo synthetic_motion(int seed, int64_t batch = 1) {
  torch::manual_seed(seed);
  lp::RawMotion r;
  r.pitch = torch::randn({batch, 66});
  r.yaw = torch::randn({batch, 66});
  r.roll = torch::randn({batch, 66});
  r.t = torch::randn({batch, 3}) * 0.1;
  r.exp = torch::randn({batch, 63}) * 0.02;
  r.scale = torch::rand({batch, 1}) + 0.5;
  r.kp = torch::randn({batch, 63}) * 0.5;
  return lp::decode_motion(r);
}

lp::AnimationParams params(lp::AnimationRegion region, bool relative = true) {
  lp::AnimationParams p;
  p.region = region;
  p.relative_motion = relative;
  return p;
}

TEST(Motion, DrivingEqualToReferenceKeepsTheSourcePoseInEveryRegion) {
  const auto s = synthetic_motion(1);
  const auto d = synthetic_motion(2);
  const auto x_s = lp::transform_keypoints(s);
  for (auto region : {lp::AnimationRegion::All, lp::AnimationRegion::Expression, lp::AnimationRegion::Pose,
                      lp::AnimationRegion::Lips, lp::AnimationRegion::Eyes}) {
    const auto x = lp::compose_driving_keypoints(s, d, &d, params(region));
    EXPECT_LT(max_abs_diff(x, x_s), 1e-5) << lp::region_name(region);
  }
}

TEST(Motion, RelativeMotionFollowsTheOfficialFormulas) {
  const auto s = synthetic_motion(1), d0 = synthetic_motion(2), d = synthetic_motion(3);
  const auto x = lp::compose_driving_keypoints(s, d, &d0, params(lp::AnimationRegion::All));
  const auto R = torch::matmul(torch::matmul(d.R, d0.R.transpose(1, 2)), s.R);
  const auto exp = s.exp + (d.exp - d0.exp);
  const auto scale = s.scale * (d.scale / d0.scale);
  auto t = s.t + (d.t - d0.t);
  t.select(1, 2).zero_();
  const auto expected = scale.reshape({1, 1, 1}) * (torch::matmul(s.kp, R) + exp) + t.reshape({1, 1, 3});
  EXPECT_LT(max_abs_diff(x, expected), 1e-6);
}

TEST(Motion, AbsoluteMotionUsesDrivingPoseAndSourceScale) {
  const auto s = synthetic_motion(1), d = synthetic_motion(3);
  const auto x = lp::compose_driving_keypoints(s, d, nullptr, params(lp::AnimationRegion::All, false));
  const auto mask = lp::expression_region_mask(lp::AnimationRegion::All, false);
  auto exp = s.exp.clone().reshape({63});
  for (int i = 0; i < 63; ++i)
    if (mask[static_cast<size_t>(i)]) exp[i] = d.exp.reshape({63})[i];
  auto t = d.t.clone();
  t.select(1, 2).zero_();
  const auto expected = s.scale.reshape({1, 1, 1}) * (torch::matmul(s.kp, d.R) + exp.reshape({1, 21, 3})) +
                        t.reshape({1, 1, 3});
  EXPECT_LT(max_abs_diff(x, expected), 1e-6);
  EXPECT_THROW(lp::compose_driving_keypoints(s, d, nullptr, params(lp::AnimationRegion::All, true)),
               std::invalid_argument);
}

TEST(Motion, RegionsOnlyMoveTheirKeypoints) {
  const auto s = synthetic_motion(1), d0 = synthetic_motion(2), d = synthetic_motion(3);
  const auto x_s = lp::transform_keypoints(s);
  // Lips / eyes: pose stays the source's, and only the region's keypoints change.
  for (auto region : {lp::AnimationRegion::Lips, lp::AnimationRegion::Eyes}) {
    const auto x = lp::compose_driving_keypoints(s, d, &d0, params(region));
    const auto moved = (x - x_s).abs().amax(2).squeeze(0);  // [21]
    std::vector<int> expected_moved;
    if (region == lp::AnimationRegion::Lips) expected_moved.assign(lp::kLipKeypoints.begin(), lp::kLipKeypoints.end());
    else expected_moved.assign(lp::kEyeKeypoints.begin(), lp::kEyeKeypoints.end());
    for (int k = 0; k < 21; ++k) {
      const bool in = std::find(expected_moved.begin(), expected_moved.end(), k) != expected_moved.end();
      if (in) EXPECT_GT(moved[k].item<float>(), 1e-6) << lp::region_name(region) << " kp " << k;
      else EXPECT_LT(moved[k].item<float>(), 1e-6) << lp::region_name(region) << " kp " << k;
    }
  }
  // Pose: the expression stays the source's; Expression: the pose stays the source's.
  const auto x_pose = lp::compose_driving_keypoints(s, d, &d0, params(lp::AnimationRegion::Pose));
  const auto R = torch::matmul(torch::matmul(d.R, d0.R.transpose(1, 2)), s.R);
  auto t = s.t + (d.t - d0.t);
  t.select(1, 2).zero_();
  EXPECT_LT(max_abs_diff(x_pose, s.scale.reshape({1, 1, 1}) * (torch::matmul(s.kp, R) + s.exp) + t.reshape({1, 1, 3})),
            1e-6);
  const auto x_exp = lp::compose_driving_keypoints(s, d, &d0, params(lp::AnimationRegion::Expression));
  EXPECT_LT(max_abs_diff(x_exp, lp::transform_keypoints(s.kp, s.R, s.exp + d.exp - d0.exp, s.scale, s.t)), 1e-6);
}

TEST(Motion, RegionMasksMatchTheOfficialIndexSets) {
  auto count = [](const std::array<bool, 63>& m) { return std::count(m.begin(), m.end(), true); };
  EXPECT_EQ(count(lp::expression_region_mask(lp::AnimationRegion::All, true)), 63);
  // Absolute: 13 whole keypoints + y3, y4, z5, z8, y9, z9.
  EXPECT_EQ(count(lp::expression_region_mask(lp::AnimationRegion::All, false)), 13 * 3 + 6);
  EXPECT_EQ(count(lp::expression_region_mask(lp::AnimationRegion::Lips, true)), 6 * 3);
  EXPECT_EQ(count(lp::expression_region_mask(lp::AnimationRegion::Eyes, false)), 5 * 3);
  EXPECT_EQ(count(lp::expression_region_mask(lp::AnimationRegion::Pose, true)), 0);
  EXPECT_TRUE(lp::region_drives_pose(lp::AnimationRegion::Pose));
  EXPECT_FALSE(lp::region_drives_pose(lp::AnimationRegion::Lips));
  EXPECT_FALSE(lp::region_drives_scale(lp::AnimationRegion::All, false));
}

TEST(ExpressionEdit, NoEditIsNoDeltaAndSmileMovesMouthAndEyes) {
  const auto zero = lp::expression_edit_delta({});
  for (float v : zero) EXPECT_EQ(v, 0.f);
  lp::ExpressionEdit e;
  e.smile = 1.f;
  const auto d = lp::expression_edit_delta(e);
  std::vector<int> moved;
  for (int i = 0; i < 63; ++i)
    if (d[static_cast<size_t>(i)] != 0.f) moved.push_back(i / 3);
  std::sort(moved.begin(), moved.end());
  moved.erase(std::unique(moved.begin(), moved.end()), moved.end());
  EXPECT_EQ(moved, (std::vector<int>{3, 7, 13, 14, 16, 17, 20}));
  EXPECT_FLOAT_EQ(d[3 * 14 + 1], -0.02f);  // official: delta_new[0, 14, 1] += smile * -0.02
}

TEST(ExpressionEdit, PupilsUseDirectionDependentCoefficients) {
  lp::ExpressionEdit right, left;
  right.pupil_x = 10.f;
  left.pupil_x = -10.f;
  const auto r = lp::expression_edit_delta(right), l = lp::expression_edit_delta(left);
  EXPECT_FLOAT_EQ(r[3 * 11], 0.007f);
  EXPECT_FLOAT_EQ(r[3 * 15], 0.01f);
  EXPECT_FLOAT_EQ(l[3 * 11], -0.01f);
  EXPECT_FLOAT_EQ(l[3 * 15], -0.007f);
}

TEST(Motion, EditsAndHeadOffsetsApplyOnTopOfDriving) {
  const auto s = synthetic_motion(1), d = synthetic_motion(2);
  lp::AnimationParams p;
  p.edit.head_yaw = 20.f;
  const auto x = lp::compose_driving_keypoints(s, d, &d, p);
  const auto R = lp::rotation_matrix(s.pitch, s.yaw + 20.f, s.roll);
  EXPECT_LT(max_abs_diff(x, lp::transform_keypoints(s.kp, R, s.exp, s.scale, s.t)), 1e-5);
  EXPECT_LT(max_abs_diff(x, lp::edited_source_keypoints(s, p.edit)), 1e-5);
  p = {};
  p.edit.aaa = 50.f;  // opens the mouth: keypoint 19 moves, the eyes do not
  const auto xa = lp::compose_driving_keypoints(s, d, &d, p);
  const auto moved = (xa - lp::transform_keypoints(s)).abs().amax(2).squeeze(0);
  EXPECT_GT(moved[19].item<float>(), 1e-4);
  EXPECT_LT(moved[11].item<float>(), 1e-7);
}

TEST(ConvexHull, ExactVolumesOfKnownShapes) {
  std::vector<lp::Point3> cube;
  for (int i = 0; i < 8; ++i) cube.push_back({double(i & 1), double((i >> 1) & 1), double((i >> 2) & 1)});
  EXPECT_NEAR(lp::convex_hull_volume(cube), 1.0, 1e-12);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0.05, 0.95);
  auto cube_plus = cube;
  for (int i = 0; i < 13; ++i) cube_plus.push_back({u(rng), u(rng), u(rng)});  // interior points change nothing
  cube_plus.push_back({0.5, 0.5, 1.0});                                      // a point on a face neither
  EXPECT_NEAR(lp::convex_hull_volume(cube_plus), 1.0, 1e-12);
  std::vector<lp::Point3> tetra = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  EXPECT_NEAR(lp::convex_hull_volume(tetra), 1.0 / 6.0, 1e-12);
  auto big = cube_plus;
  for (auto& p : big)
    for (double& c : p) c = 2.0 * c - 7.0;
  EXPECT_NEAR(lp::convex_hull_volume(big), 8.0, 1e-10);
  std::vector<lp::Point3> flat = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {0.5, 0.2, 0}};
  EXPECT_EQ(lp::convex_hull_volume(flat), 0.0);
  EXPECT_DOUBLE_EQ(lp::expression_friendly_multiplier(cube, big), std::sqrt(1.0 / 8.0));
  EXPECT_DOUBLE_EQ(lp::expression_friendly_multiplier(cube, flat), 1.0);
}

TEST(ConvexHull, AgreesWithScipyOnTheFixtureKeypoints) {
  LP_REQUIRE_SHARED("liveportrait/parity_seed1/source_x.npy");
  // scipy's ConvexHull (qhull) is what the official code uses; ask it when it is installed.
  const std::string file = lp::test::shared_path("liveportrait/parity_seed1/source_x.npy").string();
  const std::string cmd = std::string(LIVEPUPPET_PYTHON) +
                          " -c \"import numpy as n;from scipy.spatial import ConvexHull as H;"
                          "print(repr(H(n.load('" + file + "')[0]).volume))\" 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  char buf[128] = {0};
  const bool got = f && fgets(buf, sizeof buf, f) != nullptr;
  const int rc = f ? pclose(f) : -1;
  if (!got || rc != 0) GTEST_SKIP() << "scipy not available to " << LIVEPUPPET_PYTHON;
  const auto x = fixture_tensor("source_x").to(torch::kDouble).reshape({21, 3});
  std::vector<lp::Point3> pts;
  for (int i = 0; i < 21; ++i) pts.push_back({x[i][0].item<double>(), x[i][1].item<double>(), x[i][2].item<double>()});
  EXPECT_NEAR(lp::convex_hull_volume(pts), std::stod(buf), 1e-9);
}

TEST(Motion, ExpressionFriendlyRescalingIsIdentityAtTheReference) {
  const auto s = synthetic_motion(1), d0 = synthetic_motion(2), d = synthetic_motion(3);
  const auto x_s = lp::transform_keypoints(s);
  const auto x_d0 = lp::compose_driving_keypoints(s, d0, &d0, params(lp::AnimationRegion::All));
  const double m = lp::expression_friendly_multiplier(x_s, x_d0);
  EXPECT_NEAR(m, 1.0, 1e-4);  // official rule: x_d0 is the source driven by the reference itself
  const auto x_d = lp::compose_driving_keypoints(s, d, &d0, params(lp::AnimationRegion::All));
  EXPECT_LT(max_abs_diff(lp::rescale_motion(x_d0, x_d0, x_s, 1.7), x_s), 1e-6);
  EXPECT_LT(max_abs_diff(lp::rescale_motion(x_d, x_d0, x_s, 2.0), x_s + 2.0 * (x_d - x_d0)), 1e-6);
  EXPECT_LT(max_abs_diff(lp::apply_driving_multiplier(x_d, x_s, 0.0), x_s), 1e-7);
  EXPECT_LT(max_abs_diff(lp::apply_driving_multiplier(x_d, x_s, 2.0), x_s + 2.0 * (x_d - x_s)), 1e-6);
}

// Filters one sample (channels x) at time t through the tensor filter.
std::vector<float> filter_once(lp::OneEuroTensorFilter& f, const std::vector<float>& x, double t) {
  const auto dt = torch::tensor({static_cast<float>(f.step(t))});
  const auto in = torch::tensor(x).reshape({1, static_cast<int64_t>(x.size())});
  const auto y = f.filter(in, dt).contiguous();
  return std::vector<float>(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
}

TEST(OneEuro, ConstantSignalPassesAndNoiseIsReduced) {
  lp::OneEuroTensorFilter f(lp::OneEuroParams{1.0f, 0.0f, 1.0f});
  for (int i = 0; i < 10; ++i) EXPECT_FLOAT_EQ(filter_once(f, {3.f, -1.f}, i / 30.0)[0], 3.f);
  lp::OneEuroTensorFilter g(lp::OneEuroParams{1.0f, 0.0f, 1.0f});
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.f, 1.f);
  double in_var = 0, out_var = 0;
  for (int i = 0; i < 300; ++i) {
    const float x = noise(rng);
    const float y = filter_once(g, {x}, i / 30.0)[0];
    if (i > 30) {
      in_var += x * x;
      out_var += y * y;
    }
  }
  EXPECT_LT(out_var, 0.5 * in_var);
}

TEST(OneEuro, HigherBetaFollowsMotionFaster) {
  lp::OneEuroTensorFilter slow(lp::OneEuroParams{1.0f, 0.0f, 1.0f}), fast(lp::OneEuroParams{1.0f, 5.0f, 1.0f});
  float ys = 0, yf = 0;
  for (int i = 0; i < 15; ++i) {
    const float x = i == 0 ? 0.f : 10.f;  // a step
    ys = filter_once(slow, {x}, i / 30.0)[0];
    yf = filter_once(fast, {x}, i / 30.0)[0];
  }
  EXPECT_GT(yf, ys);
  EXPECT_LT(ys, 10.f);
  EXPECT_GT(ys, 0.f);
}

// The tensor filter (state on the device, batches in order) computes what the
// scalar filter of common/one_euro_filter.h computes channel by channel, also
// across batches, repeated timestamps, a save/restore and a reset.
TEST(OneEuro, TensorFilterMatchesTheScalarFilter) {
  const lp::OneEuroParams p{0.7f, 0.3f, 1.5f};
  constexpr int kChannels = 5;
  lp::OneEuroTensorFilter tf(p);
  std::vector<lp::OneEuroFilter> ref(kChannels, lp::OneEuroFilter(p));
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0.f, 1.f);
  double t = 0, t_ref = 0;
  float drift = 0.f;
  for (int call = 0; call < 40; ++call) {
    if (call == 25) {  // a new driving input
      tf.reset();
      for (auto& r : ref) r.reset();
    }
    const int64_t bs = call % 3 + 1;  // batches of 1, 2, 3 frames
    auto x = torch::empty({bs, kChannels});
    std::vector<float> dts;
    for (int64_t b = 0; b < bs; ++b) {
      drift += 0.1f;
      for (int c = 0; c < kChannels; ++c) x[b][c] = std::sin(drift + c) + 0.2f * n(rng);
      // Every 7th frame repeats its timestamp: counts as 1/30 s later.
      if ((call * 3 + b) % 7 != 0) t += 0.02 + 0.03 * std::abs(n(rng));
      dts.push_back(static_cast<float>(tf.step(t)));
    }
    lp::OneEuroTensorFilter::State before;
    if (call == 10) {  // a CUDA-graph warm-up runs the filter for real, then restores it
      before = tf.save();
      tf.filter(x * 3.0, torch::tensor(dts));
      tf.restore(before);
    }
    const auto y = tf.filter(x, torch::tensor(dts));
    for (int64_t b = 0; b < bs; ++b) {
      const bool first = !ref[0].initialised();
      t_ref = first ? t_ref : t_ref + dts[static_cast<size_t>(b)];
      if (first) t_ref = 1000.0 * call;  // any start time: only the steps matter
      for (int c = 0; c < kChannels; ++c) {
        const double expect = ref[static_cast<size_t>(c)].filter(x[b][c].item<float>(), t_ref);
        ASSERT_NEAR(y[b][c].item<float>(), expect, 1e-4) << "call " << call << " frame " << b << " channel " << c;
      }
    }
  }
}

}  // namespace
