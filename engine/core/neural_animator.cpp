#include "core/neural_animator.h"

#include <torch/cuda.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "core/motion.h"

namespace lp {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::atomic<uint64_t> g_next_source_id{1};

std::string shape_str(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? "," : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

torch::Tensor eye_condition(float source_left, float source_right, float driving, torch::Device device) {
  return torch::tensor({source_left, source_right, driving}, torch::kFloat).reshape({1, 3}).to(device);
}

torch::Tensor lip_condition(float source, float driving, torch::Device device) {
  return torch::tensor({source, driving}, torch::kFloat).reshape({1, 2}).to(device);
}

torch::Tensor image_to_uint8_hwc(const torch::Tensor& image) {
  c10::InferenceMode guard;
  return image.to(torch::kFloat).mul(255.0).round().clamp(0.0, 255.0).to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous();
}

NeuralAnimator::NeuralAnimator(std::shared_ptr<ModelSet> models) : models_(std::move(models)) {
  if (!models_) throw std::invalid_argument("NeuralAnimator needs a loaded ModelSet");
}

void NeuralAnimator::sync() const {
  if (stage_timing_ && models_->device().is_cuda()) torch::cuda::synchronize(models_->device().index());
}

void NeuralAnimator::reset() {
  has_reference_ = false;
  rezero_pending_ = false;
  smoother_.reset();
  multiplier_cache_ = MultiplierCache{};
}

torch::Tensor NeuralAnimator::to_network_input(const torch::Tensor& rgb, torch::ScalarType dtype) const {
  torch::Tensor x = rgb;
  if (!x.defined()) throw std::invalid_argument("image tensor is undefined");
  if (x.scalar_type() == torch::kUInt8) {
    // HWC or BHWC RGB bytes: move the small uint8 tensor first, convert on the device.
    if (x.dim() == 3) x = x.unsqueeze(0);
    if (x.dim() != 4 || x.size(3) != 3)
      throw std::invalid_argument("uint8 image must be [H,W,3] or [B,H,W,3] RGB, got " + shape_str(rgb));
    x = x.to(models_->device()).permute({0, 3, 1, 2}).to(torch::kFloat).div(255.0);
  } else {
    if (x.dim() == 3) x = x.unsqueeze(0);
    if (x.dim() != 4 || x.size(1) != 3)
      throw std::invalid_argument("float image must be [3,H,W] or [B,3,H,W] RGB in [0,1], got " + shape_str(rgb));
    x = x.to(models_->device()).to(torch::kFloat).clamp(0.0, 1.0);
  }
  if (x.size(2) != 256 || x.size(3) != 256)
    throw std::invalid_argument("image must be 256x256 (the crop), got " + shape_str(rgb));
  return x.to(dtype).contiguous();
}

MotionInfo NeuralAnimator::extract_motion(const torch::Tensor& rgb256) {
  c10::InferenceMode guard;
  const auto x = to_network_input(rgb256, models_->dtype_of(ModelId::MotionExtractor));
  // Official: M under fp16 autocast, outputs converted to float before the maths.
  return decode_motion(RawMotion::from_outputs(models_->forward(ModelId::MotionExtractor, {x})));
}

SourceState NeuralAnimator::prepare_source(const torch::Tensor& rgb, float eye_l, float eye_r, float lip) {
  c10::InferenceMode guard;
  const auto t0 = Clock::now();
  const auto x = to_network_input(rgb, models_->compute_dtype());
  if (x.size(0) != 1) throw std::invalid_argument("prepare_source takes one image, got a batch of " +
                                                  std::to_string(x.size(0)));
  SourceState s;
  s.id = g_next_source_id++;
  s.feature_3d = models_->forward(ModelId::AppearanceFeatureExtractor, {x})[0];
  s.motion = decode_motion(RawMotion::from_outputs(models_->forward(ModelId::MotionExtractor, {x})));
  s.x_s = transform_keypoints(s.motion);
  s.eye_ratio_left = eye_l;
  s.eye_ratio_right = eye_r;
  s.lip_ratio = lip;
  if (lip >= kLipNormalizeThreshold)
    s.lip_normalize_delta = lip_delta(s.x_s, lip_condition(lip, 0.f, models_->device()));
  if (models_->device().is_cuda()) torch::cuda::synchronize(models_->device().index());
  s.prepare_ms = ms_since(t0);
  return s;
}

torch::Tensor NeuralAnimator::stitch(const torch::Tensor& x_s, const torch::Tensor& x_d) {
  const int64_t bs = x_d.size(0);
  const auto delta = models_->forward(ModelId::Stitching, {concat_features(x_s.expand({bs, kNumKeypoints, 3}), x_d)})[0];
  return apply_stitching_delta(x_d, delta.to(torch::kFloat));
}

torch::Tensor NeuralAnimator::eye_delta(const torch::Tensor& x_s, const torch::Tensor& cond) {
  const int64_t bs = cond.size(0);
  const auto d = models_->forward(ModelId::RetargetEye, {concat_features(x_s.expand({bs, kNumKeypoints, 3}), cond)})[0];
  return d.to(torch::kFloat).reshape({bs, kNumKeypoints, 3});
}

torch::Tensor NeuralAnimator::lip_delta(const torch::Tensor& x_s, const torch::Tensor& cond) {
  const int64_t bs = cond.size(0);
  const auto d = models_->forward(ModelId::RetargetLip, {concat_features(x_s.expand({bs, kNumKeypoints, 3}), cond)})[0];
  return d.to(torch::kFloat).reshape({bs, kNumKeypoints, 3});
}

MotionInfo NeuralAnimator::smooth(const MotionInfo& d, const AnimationParams& params, const std::vector<double>& ts) {
  smoother_.set_params(params.smoothing_params);
  const int64_t bs = d.batch();
  constexpr int64_t kN = 3 + 3 + 63 + 1;
  const auto packed = torch::cat({d.pitch, d.yaw, d.roll, d.t, d.exp.reshape({bs, 63}), d.scale}, 1)
                          .to(torch::kCPU, torch::kFloat)
                          .contiguous();
  auto out = torch::empty({bs, kN}, torch::kFloat);
  for (int64_t b = 0; b < bs; ++b) {
    const float* src = packed.data_ptr<float>() + b * kN;
    double t = (static_cast<size_t>(b) < ts.size() && ts[static_cast<size_t>(b)] >= 0.0)
                   ? ts[static_cast<size_t>(b)]
                   : last_timestamp_ + 1.0 / 30.0;
    last_timestamp_ = t;
    const auto f = smoother_.filter(std::vector<float>(src, src + kN), t);
    std::copy(f.begin(), f.end(), out.data_ptr<float>() + b * kN);
  }
  out = out.to(d.exp.device());
  MotionInfo m = d;
  m.pitch = out.narrow(1, 0, 1);
  m.yaw = out.narrow(1, 1, 1);
  m.roll = out.narrow(1, 2, 1);
  m.t = out.narrow(1, 3, 3);
  m.exp = out.narrow(1, 6, 63).reshape({bs, kNumKeypoints, 3});
  m.scale = out.narrow(1, 69, 1);
  m.R = rotation_matrix(m.pitch, m.yaw, m.roll);
  return m;
}

torch::Tensor NeuralAnimator::driving_keypoints(const SourceState& source, const MotionInfo& driving_in,
                                                const std::vector<DrivingRatios>& ratios,
                                                const AnimationParams& params, const std::vector<double>& ts,
                                                bool* captured_reference) {
  c10::InferenceMode guard;
  const auto dev = models_->device();
  const int64_t bs = driving_in.batch();
  MotionInfo driving = params.smoothing ? smooth(driving_in, params, ts) : driving_in;
  if (!params.smoothing && !ts.empty() && ts.back() >= 0.0) last_timestamp_ = ts.back();
  if (captured_reference) *captured_reference = false;
  if (!has_reference_ || rezero_pending_) {
    reference_ = driving.select(0).clone();
    has_reference_ = true;
    rezero_pending_ = false;
    ++reference_generation_;
    if (captured_reference) *captured_reference = true;
  }
  const torch::Tensor& x_s = source.x_s;
  const bool relative = params.relative_motion;
  torch::Tensor x_d = compose_driving_keypoints(source.motion, driving, &reference_, params);

  if (params.expression_friendly && relative) {
    auto& c = multiplier_cache_;
    if (c.source_id != source.id || c.generation != reference_generation_ ||
        c.region != static_cast<int>(params.region) || !c.x_d0.defined()) {
      AnimationParams p0 = params;
      p0.edit = ExpressionEdit{};  // edits must pass through (x_d - x_d0), so x_d0 has none
      c.x_d0 = compose_driving_keypoints(source.motion, reference_, &reference_, p0);
      c.multiplier = expression_friendly_multiplier(x_s, c.x_d0);
      c.source_id = source.id;
      c.generation = reference_generation_;
      c.region = static_cast<int>(params.region);
    }
    x_d = rescale_motion(x_d, c.x_d0, x_s, c.multiplier);
  }

  auto ratio = [&](size_t b) { return b < ratios.size() ? ratios[b] : DrivingRatios{}; };
  const bool source_eyes_known = source.eye_ratio_left >= 0.f && source.eye_ratio_right >= 0.f;
  bool use_eye = params.eye_retargeting && source_eyes_known;
  bool use_lip = params.lip_retargeting && source.lip_ratio >= 0.f;
  std::vector<float> eye_cd(static_cast<size_t>(bs)), lip_cd(static_cast<size_t>(bs));
  for (size_t b = 0; b < static_cast<size_t>(bs); ++b) {
    // Official: the driving eye condition is the first eye's ratio (c_d_eyes_i[0][0]).
    eye_cd[b] = params.eye_open_auto ? ratio(b).eye_left : params.eye_open;
    lip_cd[b] = params.lip_open_auto ? ratio(b).lip : params.lip_open;
    if (eye_cd[b] < 0.f) use_eye = false;  // auto without a driving face: nothing to follow
    if (lip_cd[b] < 0.f) use_lip = false;
  }

  if (!use_eye && !use_lip) {
    if (params.stitching) x_d = stitch(x_s, x_d);
    if (params.normalize_lip && relative && source.lip_normalize_delta.defined())
      x_d = x_d + source.lip_normalize_delta;
  } else {
    // Official: with retargeting and relative motion the result is x_s + deltas
    // (x_s carrying the expression edits here), else x_d + deltas.
    torch::Tensor base = relative ? (params.edit.any() ? edited_source_keypoints(source.motion, params.edit)
                                                       : x_s.expand({bs, kNumKeypoints, 3}))
                                  : x_d;
    x_d = base;
    if (use_eye) {
      auto cond = torch::empty({bs, 3}, torch::kFloat);
      for (int64_t b = 0; b < bs; ++b) {
        cond[b][0] = source.eye_ratio_left;
        cond[b][1] = source.eye_ratio_right;
        cond[b][2] = eye_cd[static_cast<size_t>(b)];
      }
      x_d = x_d + eye_delta(x_s, cond.to(dev));
    }
    if (use_lip) {
      auto cond = torch::empty({bs, 2}, torch::kFloat);
      for (int64_t b = 0; b < bs; ++b) {
        cond[b][0] = source.lip_ratio;
        cond[b][1] = lip_cd[static_cast<size_t>(b)];
      }
      x_d = x_d + lip_delta(x_s, cond.to(dev));
    }
    if (params.stitching) x_d = stitch(x_s, x_d);
  }
  return apply_driving_multiplier(x_d, x_s, params.driving_multiplier);
}

torch::Tensor NeuralAnimator::render(const SourceState& source, const torch::Tensor& x_d, StageTimings* timings) {
  c10::InferenceMode guard;
  const int64_t bs = x_d.size(0);
  auto t0 = Clock::now();
  const auto feature = source.feature_3d.expand({bs, -1, -1, -1, -1});
  const auto w = models_->forward(ModelId::WarpingModule, {feature, source.x_s.expand({bs, kNumKeypoints, 3}), x_d});
  if (w.size() != 3) throw std::runtime_error("warping module returned " + std::to_string(w.size()) + " outputs, expected 3");
  sync();
  if (timings) timings->warp_ms = ms_since(t0);
  t0 = Clock::now();
  auto image = models_->forward(ModelId::SpadeGenerator, {w[2]})[0].to(torch::kFloat);
  sync();
  if (timings) timings->generator_ms = ms_since(t0);
  return image;
}

AnimatedCrop NeuralAnimator::animate(const SourceState& source, const torch::Tensor& driving256,
                                     const DrivingRatios& ratios, const AnimationParams& params, double timestamp_s) {
  auto x = driving256;
  if (x.dim() == 3) x = x.unsqueeze(0);
  if (x.size(0) != 1) throw std::invalid_argument("animate takes one driving frame; use animate_batch");
  return animate_batch(source, x, {ratios}, params, {timestamp_s});
}

AnimatedCrop NeuralAnimator::animate_batch(const SourceState& source, const torch::Tensor& driving256,
                                           const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                                           const std::vector<double>& timestamps_s) {
  c10::InferenceMode guard;
  if (!source.feature_3d.defined()) throw std::invalid_argument("source is not prepared");
  AnimatedCrop out;
  const auto t_start = Clock::now();
  auto t0 = t_start;
  const MotionInfo driving = extract_motion(driving256);
  sync();
  out.timings.motion_ms = ms_since(t0);
  t0 = Clock::now();
  out.x_driving = driving_keypoints(source, driving, ratios, params, timestamps_s, &out.captured_reference);
  sync();
  out.timings.keypoints_ms = ms_since(t0);
  out.image = render(source, out.x_driving, &out.timings);
  if (models_->device().is_cuda()) torch::cuda::synchronize(models_->device().index());
  out.timings.total_ms = ms_since(t_start);
  return out;
}

}  // namespace lp
