// Keypoint maths against the official implementation's outputs in the parity
// fixture (pure C++, no models): degrees, rotation matrices, transformed
// keypoints, the absolute driving keypoints and the stitching application.
#include <gtest/gtest.h>

#include "core/keypoints.h"
#include "fixture_util.h"

namespace {

using lp::test::fixture_raw_motion;
using lp::test::fixture_tensor;
using lp::test::max_abs_diff;

constexpr double kTol = 1e-5;  // the fixture README's expected fp32 agreement

TEST(Keypoints, DecodesFixtureMotionLikeTheOfficialCode) {
  LP_REQUIRE_SHARED("liveportrait/parity_seed1/index.json");
  for (const std::string tag : {"source", "driving"}) {
    const auto m = lp::decode_motion(fixture_raw_motion(tag));
    EXPECT_LT(max_abs_diff(m.pitch, fixture_tensor(tag + "_pitch_deg")), kTol) << tag;
    EXPECT_LT(max_abs_diff(m.yaw, fixture_tensor(tag + "_yaw_deg")), kTol) << tag;
    EXPECT_LT(max_abs_diff(m.roll, fixture_tensor(tag + "_roll_deg")), kTol) << tag;
    EXPECT_LT(max_abs_diff(m.R, fixture_tensor(tag + "_R")), kTol) << tag;
    EXPECT_LT(max_abs_diff(lp::transform_keypoints(m), fixture_tensor(tag + "_x")), kTol) << tag;
  }
}

TEST(Keypoints, AbsoluteDrivingKeypointsMatchFixture) {
  LP_REQUIRE_SHARED("liveportrait/parity_seed1/index.json");
  const auto s = lp::decode_motion(fixture_raw_motion("source"));
  const auto d = lp::decode_motion(fixture_raw_motion("driving"));
  const auto x_d_abs = lp::transform_keypoints(s.kp, d.R, d.exp, d.scale, d.t);
  EXPECT_LT(max_abs_diff(x_d_abs, fixture_tensor("x_d_abs")), kTol);
}

TEST(Keypoints, StitchingDeltaIsAppliedLikeTheOfficialCode) {
  LP_REQUIRE_SHARED("liveportrait/parity_seed1/index.json");
  const auto stitched = lp::apply_stitching_delta(fixture_tensor("x_d_abs"), fixture_tensor("S_stitching_delta"));
  EXPECT_LT(max_abs_diff(stitched, fixture_tensor("x_d_stitched")), kTol);
}

TEST(Keypoints, DegreesSpanTheBinRange) {
  // All mass on bin 0 -> -97.5 degrees; on bin 65 -> 97.5; uniform -> 0.
  auto bins = torch::full({3, 66}, -1e4f);
  bins[0][0] = 0.f;
  bins[1][65] = 0.f;
  bins[2].fill_(0.f);
  const auto deg = lp::bins_to_degrees(bins);
  ASSERT_EQ(deg.sizes(), (std::vector<int64_t>{3, 1}));
  EXPECT_NEAR(deg[0][0].item<float>(), -97.5f, 1e-4);
  EXPECT_NEAR(deg[1][0].item<float>(), 97.5f, 1e-4);
  EXPECT_NEAR(deg[2][0].item<float>(), 0.f, 1e-4);
}

TEST(Keypoints, RotationIsOrthonormalAndComposesInOfficialOrder) {
  const auto p = torch::tensor({10.f, -30.f}), y = torch::tensor({25.f, 5.f}), r = torch::tensor({-7.f, 60.f});
  const auto R = lp::rotation_matrix(p, y, r);
  ASSERT_EQ(R.sizes(), (std::vector<int64_t>{2, 3, 3}));
  const auto eye = torch::eye(3).expand({2, 3, 3});
  EXPECT_LT(max_abs_diff(torch::matmul(R, R.transpose(1, 2)), eye), 1e-6);
  EXPECT_NEAR(torch::det(R)[0].item<float>(), 1.f, 1e-5);
  // Row-vector convention: kp @ R == (Rz Ry Rx kp^T)^T. Check pure pitch about x.
  const auto Rp = lp::rotation_matrix(torch::tensor({90.f}), torch::tensor({0.f}), torch::tensor({0.f}));
  const auto v = torch::tensor({0.f, 1.f, 0.f}).reshape({1, 1, 3});
  const auto out = torch::matmul(v, Rp);  // Rx(90) maps y to z
  EXPECT_LT(max_abs_diff(out, torch::tensor({0.f, 0.f, 1.f}).reshape({1, 1, 3})), 1e-6);
}

TEST(Keypoints, TranslationNeverMovesZ) {
  const auto kp = torch::rand({1, 21, 3});
  const auto R = torch::eye(3).unsqueeze(0);
  const auto exp = torch::zeros({1, 21, 3});
  const auto x = lp::transform_keypoints(kp, R, exp, torch::ones({1, 1}) * 2, torch::tensor({{1.f, 2.f, 3.f}}));
  EXPECT_LT(max_abs_diff(x.select(2, 2), kp.select(2, 2) * 2), 1e-6);
  EXPECT_LT(max_abs_diff(x.select(2, 0), kp.select(2, 0) * 2 + 1), 1e-6);
}

}  // namespace
