// The status bar's rates: a slow engine reads as slow, a stalled one falls.
#include "common/rate_meter.h"

#include <gtest/gtest.h>

using lp::RateMeter;

namespace {
constexpr std::int64_t kSecond = 1'000'000'000;
}

TEST(RateMeter, ThirtyFramesASecondReadThirty) {
  RateMeter m;
  std::int64_t t = 5 * kSecond;
  for (int i = 0; i < 90; ++i, t += kSecond / 30) m.tick(t);
  EXPECT_NEAR(m.rate(t - kSecond / 30), 30.0, 0.5);
}

TEST(RateMeter, OneFrameEveryTwelveSecondsIsNotOneFps) {
  // The neural engine on a 2-core CPU: one frame every 12 s. A count of the
  // frames in the last second said "1.0 fps".
  RateMeter m;
  EXPECT_EQ(m.rate(0), 0.0) << "no frame yet";
  m.tick(0);
  EXPECT_EQ(m.rate(0), 0.0) << "one frame has no rate";
  m.tick(12 * kSecond);
  m.tick(24 * kSecond);
  EXPECT_NEAR(m.rate(24 * kSecond), 1.0 / 12.0, 1e-6);
}

TEST(RateMeter, AStalledSourceFallsTowardsZero) {
  RateMeter m;
  std::int64_t t = 0;
  for (int i = 0; i < 30; ++i, t += kSecond / 30) m.tick(t);
  EXPECT_NEAR(m.rate(t), 30.0, 1.0) << "a frame interval later: still 30";
  EXPECT_NEAR(m.rate(t + 4 * kSecond), 0.25, 0.01) << "four seconds without a frame";
}
