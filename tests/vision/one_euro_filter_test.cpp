// The One-Euro filter and the landmark smoother built on it.
#include <gtest/gtest.h>

#include "vision/landmark_smoother.h"
#include "common/one_euro_filter.h"

#include <cmath>
#include <random>

namespace lp {
namespace {

TEST(OneEuroFilter, ConstantInputPassesUnchanged) {
  OneEuroFilter f;
  for (int i = 0; i < 50; ++i) EXPECT_DOUBLE_EQ(f.filter(3.5, i / 30.0), 3.5);
}

TEST(OneEuroFilter, RemovesJitterMoreWhenStillThanWhenMoving) {
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 0.002);
  OneEuroParams p;
  p.min_cutoff = 1.0f;
  p.beta = 10.0f;
  OneEuroFilter still(p), moving(p);
  double err_still = 0, raw_still = 0, lag_moving = 0;
  for (int i = 0; i < 300; ++i) {
    const double t = i / 30.0;
    const double n = noise(rng);
    const double y = still.filter(n, t);
    if (i > 30) {
      err_still += std::abs(y);
      raw_still += std::abs(n);
    }
    // A ramp at 2 units/s: the filtered value must keep up (small lag).
    const double target = 2.0 * t;
    const double m = moving.filter(target, t);
    if (i > 30) lag_moving = std::max(lag_moving, target - m);
  }
  EXPECT_LT(err_still, 0.4 * raw_still);
  EXPECT_LT(lag_moving, 2.0 / 30.0);  // under one frame of motion
}

TEST(OneEuroFilter, RepeatedTimestampReturnsThePreviousValue) {
  OneEuroFilter f;
  f.filter(1.0, 0.0);
  const double a = f.filter(2.0, 0.1);
  EXPECT_DOUBLE_EQ(f.filter(50.0, 0.1), a);
  f.reset();
  EXPECT_DOUBLE_EQ(f.filter(7.0, 0.2), 7.0);
}

TEST(LandmarkSmoother, ScaleInvariantJitterRemoval) {
  // The same relative jitter on a small and a large face is reduced by the same
  // factor: the smoother works in face-size units.
  for (float face : {80.f, 640.f}) {
    LandmarkSmoother sm;
    std::mt19937 rng(5);
    std::normal_distribution<float> noise(0.f, 0.004f * face);
    double raw = 0, smooth = 0;
    Landmarks68 base;
    for (int i = 0; i < kNumLandmarks; ++i) base[i] = cv::Point2f(face * std::cos(i * 0.1f), face * std::sin(i * 0.2f));
    for (int k = 0; k < 120; ++k) {
      Landmarks68 in = base;
      for (auto& p : in) p += cv::Point2f(noise(rng), noise(rng));
      const Landmarks68 out = sm.smooth(in, k / 30.0, face);
      if (k >= 20)
        for (int i = 0; i < kNumLandmarks; ++i) {
          raw += cv::norm(in[i] - base[i]) / face;
          smooth += cv::norm(out[i] - base[i]) / face;
        }
    }
    EXPECT_LT(smooth, 0.6 * raw) << "face " << face;
  }
}

}  // namespace
}  // namespace lp
