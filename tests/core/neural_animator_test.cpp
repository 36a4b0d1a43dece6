// NeuralAnimator on a tiny TorchScript model folder: reference frame handling
// (first frame, re-zero), batch == sequential, retargeting and normalize-lip
// rules, input layouts. The real networks are checked by the parity tests.
#include <gtest/gtest.h>

#include <limits>

#include "core/motion.h"
#include "core/neural_animator.h"
#include "test_support.h"
#include "tiny_models.h"

namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat) - b.to(torch::kFloat).reshape(a.sizes())).abs().max().item<double>();
}

class Animator : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = lp::test::scratch_dir() / "models";
    lp::test::write_tiny_model_set(dir);
    lp::ModelSetOptions opt;
    opt.device = "cpu";
    models_ = lp::ModelSet::load(dir, opt);
    animator_ = std::make_unique<lp::NeuralAnimator>(models_);
    source_img_ = torch::full({1, 3, 256, 256}, 0.4f);
    frame_a_ = torch::full({1, 3, 256, 256}, 0.2f);
    frame_b_ = torch::full({1, 3, 256, 256}, 0.7f);
    plain_.stitching = false;
    plain_.normalize_lip = false;
  }
  std::shared_ptr<lp::ModelSet> models_;
  std::unique_ptr<lp::NeuralAnimator> animator_;
  torch::Tensor source_img_, frame_a_, frame_b_;
  lp::AnimationParams plain_;  // no stitching, no normalize-lip: keypoints are pure motion
};

TEST_F(Animator, AcceptsUint8HwcAndFloatChwAlike) {
  const auto u8 = torch::full({256, 256, 3}, 102, torch::kUInt8);  // 102/255 = 0.4
  const auto a = animator_->prepare_source(u8);
  const auto b = animator_->prepare_source(source_img_[0]);
  EXPECT_LT(max_abs_diff(a.x_s, b.x_s), 1e-5);
  EXPECT_NE(a.id, b.id);
  EXPECT_THROW(animator_->prepare_source(torch::zeros({1, 3, 128, 128})), std::invalid_argument);
  EXPECT_THROW(animator_->prepare_source(torch::zeros({256, 256, 4}, torch::kUInt8)), std::invalid_argument);
}

TEST_F(Animator, FirstFrameIsTheReferenceSoTheSourceStaysPut) {
  const auto src = animator_->prepare_source(source_img_);
  const auto r0 = animator_->animate(src, frame_a_, {}, plain_);
  EXPECT_TRUE(r0.captured_reference);
  EXPECT_LT(max_abs_diff(r0.x_driving, src.x_s), 1e-5);
  ASSERT_EQ(r0.image.sizes(), (std::vector<int64_t>{1, 3, 512, 512}));
  EXPECT_EQ(r0.image.scalar_type(), torch::kFloat);
  const auto r1 = animator_->animate(src, frame_b_, {}, plain_);
  EXPECT_FALSE(r1.captured_reference);
  EXPECT_GT(max_abs_diff(r1.x_driving, src.x_s), 1e-3);  // the driving face moved
  EXPECT_GT(max_abs_diff(r1.image, r0.image), 0.0);
}

TEST_F(Animator, RezeroMakesTheNextFrameNeutral) {
  const auto src = animator_->prepare_source(source_img_);
  animator_->animate(src, frame_a_, {}, plain_);
  EXPECT_GT(max_abs_diff(animator_->animate(src, frame_b_, {}, plain_).x_driving, src.x_s), 1e-3);
  animator_->rezero();
  const auto r = animator_->animate(src, frame_b_, {}, plain_);
  EXPECT_TRUE(r.captured_reference);
  EXPECT_LT(max_abs_diff(r.x_driving, src.x_s), 1e-5);
  // Going back to the old pose now moves the face again.
  EXPECT_GT(max_abs_diff(animator_->animate(src, frame_a_, {}, plain_).x_driving, src.x_s), 1e-3);
  animator_->reset();
  EXPECT_FALSE(animator_->has_reference());
}

TEST_F(Animator, BatchGivesTheSameResultAsFrameByFrame) {
  const auto src = animator_->prepare_source(source_img_);
  lp::AnimationParams p;  // official defaults: stitching on
  const auto batch = animator_->animate_batch(src, torch::cat({frame_a_, frame_b_, frame_a_}), {}, p);
  animator_->reset();
  std::vector<torch::Tensor> seq;
  for (const auto& f : {frame_a_, frame_b_, frame_a_}) seq.push_back(animator_->animate(src, f, {}, p).x_driving);
  EXPECT_LT(max_abs_diff(batch.x_driving, torch::cat(seq)), 1e-5);
  EXPECT_EQ(batch.image.size(0), 3);
}

TEST_F(Animator, StitchingUsesTheMlpDelta) {
  const auto src = animator_->prepare_source(source_img_);
  lp::AnimationParams p = plain_;
  p.stitching = true;
  const auto r = animator_->animate(src, frame_a_, {}, p);
  EXPECT_LT(max_abs_diff(r.x_driving, animator_->stitch(src.x_s, src.x_s)), 1e-6);
  EXPECT_GT(max_abs_diff(r.x_driving, src.x_s), 1e-6);
}

TEST_F(Animator, EyeSliderRetargetsFromTheSourceKeypoints) {
  const auto src = animator_->prepare_source(source_img_, 0.30f, 0.32f, 0.1f);
  lp::AnimationParams p = plain_;
  p.eye_retargeting = true;
  p.eye_open_auto = false;
  p.eye_open = 0.6f;
  animator_->animate(src, frame_a_, {}, p);
  const auto r = animator_->animate(src, frame_b_, {}, p);
  // Official rule with relative motion: x = x_s + eye_delta(x_s, [c_s_l, c_s_r, target]).
  const auto cond = lp::eye_condition(0.30f, 0.32f, 0.6f, torch::kCPU);
  EXPECT_LT(max_abs_diff(r.x_driving, src.x_s + animator_->eye_delta(src.x_s, cond)), 1e-6);
  // "auto" follows the driving face's ratio; without one, nothing is retargeted.
  p.eye_open_auto = true;
  const auto none = animator_->animate(src, frame_b_, {}, p);
  const auto plain = animator_->animate(src, frame_b_, {}, plain_);
  EXPECT_LT(max_abs_diff(none.x_driving, plain.x_driving), 1e-7);
  lp::DrivingRatios ratios{0.05f, 0.06f, 0.2f};
  const auto follow = animator_->animate(src, frame_b_, ratios, p);
  const auto cond_d = lp::eye_condition(0.30f, 0.32f, 0.05f, torch::kCPU);
  EXPECT_LT(max_abs_diff(follow.x_driving, src.x_s + animator_->eye_delta(src.x_s, cond_d)), 1e-6);
}

TEST_F(Animator, NormalizeLipClosesAnOpenSourceMouth) {
  const auto open = animator_->prepare_source(source_img_, 0.3f, 0.3f, 0.2f);
  ASSERT_TRUE(open.lip_normalize_delta.defined());
  const auto shut = animator_->prepare_source(source_img_, 0.3f, 0.3f, 0.01f);  // below the 0.03 threshold
  EXPECT_FALSE(shut.lip_normalize_delta.defined());
  lp::AnimationParams p = plain_;
  p.normalize_lip = true;
  const auto r = animator_->animate(open, frame_a_, {}, p);
  const auto cond = lp::lip_condition(0.2f, 0.f, torch::kCPU);
  EXPECT_LT(max_abs_diff(r.x_driving, open.x_s + animator_->lip_delta(open.x_s, cond)), 1e-6);
  p.relative_motion = false;  // official: normalize-lip only with relative motion
  const auto abs = animator_->animate(open, frame_a_, {}, p);
  p.normalize_lip = false;
  EXPECT_LT(max_abs_diff(abs.x_driving, animator_->animate(open, frame_a_, {}, p).x_driving), 1e-7);
}

TEST_F(Animator, SmoothingLeavesAStillFaceStillAndDrivingMultiplierScalesMotion) {
  const auto src = animator_->prepare_source(source_img_);
  lp::AnimationParams p = plain_;
  p.smoothing = true;
  animator_->animate(src, frame_a_, {}, p, 0.0);
  const auto r = animator_->animate(src, frame_a_, {}, p, 1.0 / 30);
  EXPECT_LT(max_abs_diff(r.x_driving, src.x_s), 1e-5);
  animator_->reset();
  p.smoothing = false;
  animator_->animate(src, frame_a_, {}, p);
  const auto full = animator_->animate(src, frame_b_, {}, p).x_driving;
  p.driving_multiplier = 0.5f;
  const auto half = animator_->animate(src, frame_b_, {}, p).x_driving;
  EXPECT_LT(max_abs_diff(half, src.x_s + 0.5 * (full - src.x_s)), 1e-6);
}

TEST_F(Animator, ExpressionFriendlyKeepsTheReferenceNeutral) {
  const auto src = animator_->prepare_source(source_img_);
  lp::AnimationParams p = plain_;
  p.expression_friendly = true;
  const auto r0 = animator_->animate(src, frame_a_, {}, p);
  EXPECT_LT(max_abs_diff(r0.x_driving, src.x_s), 1e-5);
  p.edit.smile = 1.f;  // edits pass through the rescaling
  const auto r1 = animator_->animate(src, frame_a_, {}, p);
  EXPECT_GT(max_abs_diff(r1.x_driving, src.x_s), 1e-4);
}

TEST_F(Animator, ConvertsTheCropToBytes) {
  const auto img = torch::tensor({0.f, 0.5f, 1.f, 1.2f}).reshape({1, 1, 2, 2}).expand({1, 3, 2, 2});
  const auto u8 = lp::image_to_uint8_hwc(img);
  ASSERT_EQ(u8.sizes(), (std::vector<int64_t>{1, 2, 2, 3}));
  EXPECT_EQ(u8.scalar_type(), torch::kUInt8);
  EXPECT_EQ(u8[0][0][1][2].item<int>(), 128);
  EXPECT_EQ(u8[0][1][1][0].item<int>(), 255);  // clamped
}

TEST_F(Animator, ReportsStageTimings) {
  const auto src = animator_->prepare_source(source_img_);
  const auto r = animator_->animate(src, frame_a_, {}, lp::AnimationParams{});
  EXPECT_GT(r.timings.total_ms, 0.0);
  EXPECT_GE(r.timings.total_ms, r.timings.warp_ms + r.timings.generator_ms);
  EXPECT_GT(src.prepare_ms, 0.0);
}

TEST_F(Animator, CudaGraphsFallBackToEagerWithoutCuda) {
  // Models on the CPU: asking for CUDA graphs must say why they are off and
  // give exactly the eager result.
  const auto src = animator_->prepare_source(source_img_);
  lp::NeuralAnimator eager(models_);
  animator_->set_cuda_graphs(true);
  EXPECT_TRUE(animator_->cuda_graphs());
  EXPECT_NE(animator_->cuda_graph_status().find("off"), std::string::npos) << animator_->cuda_graph_status();
  for (const auto& frame : {frame_a_, frame_b_, frame_b_, frame_b_}) {
    const auto g = animator_->animate(src, frame, {}, lp::AnimationParams{});
    const auto e = eager.animate(src, frame, {}, lp::AnimationParams{});
    EXPECT_FALSE(g.used_cuda_graph);
    EXPECT_EQ(max_abs_diff(g.image, e.image), 0.0);
  }
  EXPECT_EQ(animator_->cuda_graph_captures(), 0);
}

TEST(FrameIsBroken, FlagsNonFiniteAndBlackFramesOnly) {
  auto img = torch::full({1, 3, 8, 8}, 0.5f);
  EXPECT_FALSE(lp::frame_is_broken(img));
  auto nan = img.clone();
  nan[0][1][2][3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(lp::frame_is_broken(nan));
  auto inf = img.clone();
  inf[0][0][0][0] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(lp::frame_is_broken(inf));
  auto neg_inf = img.clone();
  neg_inf[0][2][7][0] = -std::numeric_limits<float>::infinity();
  EXPECT_TRUE(lp::frame_is_broken(neg_inf));
  auto half_nan = img.to(torch::kHalf);
  half_nan[0][0][4][4] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(lp::frame_is_broken(half_nan));
  EXPECT_TRUE(lp::frame_is_broken(torch::zeros({1, 3, 8, 8})));
  auto dark = torch::zeros({1, 3, 8, 8});
  dark[0][2][7][7] = 0.1f;  // one lit pixel is a picture, not a black frame
  EXPECT_FALSE(lp::frame_is_broken(dark));
}

}  // namespace
