#include "core/neural_animator.h"

#include <torch/cuda.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "core/motion.h"

#ifdef LIVEPUPPET_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

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

[[maybe_unused]] std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Everything in the parameters that changes the captured work (the eye/lip
// slider values do not: they reach the graph as condition tensors).
void append_params_key(const AnimationParams& p, std::vector<double>* k) {
  const ExpressionEdit& e = p.edit;
  k->insert(k->end(), {double(p.stitching), double(p.relative_motion), double(p.eye_retargeting),
                       double(p.lip_retargeting), double(p.normalize_lip), double(p.expression_friendly),
                       double(p.smoothing), double(p.smoothing_params.min_cutoff), double(p.smoothing_params.beta),
                       double(p.smoothing_params.d_cutoff), double(static_cast<int>(p.region)), double(p.driving_multiplier),
                       double(e.smile), double(e.wink), double(e.blink), double(e.eyebrow), double(e.pupil_x),
                       double(e.pupil_y), double(e.aaa), double(e.eee), double(e.woo), double(e.head_pitch),
                       double(e.head_yaw), double(e.head_roll)});
}

}  // namespace

// Host-side decisions of one call: which retargeting MLPs run, with which
// conditions (CPU tensors; copied to the device per call).
struct NeuralAnimator::FramePlan {
  bool use_eye = false, use_lip = false;
  torch::Tensor eye_cond, lip_cond;  // [B,3] / [B,2] float on the CPU, defined when used
};

// One captured per-frame pipeline with its static buffers. It keeps every
// tensor it reads (source, reference, constants) alive, since the graph holds
// raw device pointers to them.
struct NeuralAnimator::FrameGraph {
#ifdef LIVEPUPPET_HAVE_CUDA
  at::cuda::CUDAGraph graph;
#endif
  std::vector<double> key;
  torch::Tensor in, eye_cond, lip_cond;  // static inputs
  torch::Tensor dt;                      // static input: One-Euro time steps [B] (smoothing on)
  torch::Tensor image, x_d;              // static outputs
  torch::Tensor health;                  // static output: image_health(image), for the fp16 guard
  SourceState source;
  MotionInfo reference;
  MotionConstants constants;
  torch::Tensor x_d0;
  std::shared_ptr<ModelSet> models;
};

namespace {

// [min, max] of an image, float on its device: what the fp16 guard reads
// back. One reduction kernel (min and max propagate NaN, so a non-finite value
// anywhere shows in one of them); a frame graph computes it inside the replay.
torch::Tensor image_health(const torch::Tensor& image) {
  // (Older CPU builds have no half-precision aminmax; the engine's images are float.)
  const auto [lo, hi] = torch::aminmax(image.is_cuda() ? image : image.to(torch::kFloat));
  return torch::stack({lo, hi}).to(torch::kFloat);
}

// What image_health's values say (one read-back): a non-finite value
// somewhere, or a black frame (max <= 1/255).
struct FrameHealth {
  bool non_finite = false, black = false;
  bool broken() const { return non_finite || black; }
};

FrameHealth read_health(const torch::Tensor& health) {
  const auto v = health.to(torch::kCPU);
  const float* d = v.data_ptr<float>();
  FrameHealth h;
  h.non_finite = !std::isfinite(d[0]) || !std::isfinite(d[1]);
  h.black = !h.non_finite && !(d[1] > 1.0f / 255.0f);
  return h;
}

}  // namespace

bool frame_is_broken(const torch::Tensor& image) {
  c10::InferenceMode guard;
  if (!image.defined() || image.numel() == 0) return true;
  return read_health(image_health(image)).broken();
}

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
  if (stage_timing_ && !capturing_ && models_->device().is_cuda())
    torch::cuda::synchronize(models_->device().index());
}

void NeuralAnimator::set_cuda_graphs(bool on) {
  graphs_on_ = on;
  graph_.reset();
  prepare_graph_.reset();
  prepare_graph_failed_ = false;
  failed_graph_key_.clear();
  last_graph_key_.clear();
  graph_key_repeats_ = 0;
#ifdef LIVEPUPPET_HAVE_CUDA
  if (!on) graph_status_ = "off";
  else if (!models_->device().is_cuda()) graph_status_ = "off: the models are not on a CUDA device";
  else graph_status_ = "on: not captured yet";
#else
  graph_status_ = on ? "off: this LibTorch has no CUDA" : "off";
#endif
}

const MotionConstants& NeuralAnimator::constants_for(const AnimationParams& params) {
  std::vector<double> k;
  append_params_key(params, &k);
  std::vector<float> kf(k.begin(), k.end());
  if (constants_key_.empty() || kf != constants_key_) {
    constants_ = motion_constants(params, models_->device());
    constants_key_ = kf;
  }
  return constants_;
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
  s.eye_ratio_left = eye_l;
  s.eye_ratio_right = eye_r;
  s.lip_ratio = lip;
  s.used_cuda_graph = try_prepare_graphed(x, lip, s);
  if (!s.used_cuda_graph)
    prepare_device(x, lip >= kLipNormalizeThreshold ? lip_condition(lip, 0.f, models_->device()) : torch::Tensor(), s);
  if (models_->device().is_cuda()) torch::cuda::synchronize(models_->device().index());
  s.prepare_ms = ms_since(t0);
  return s;
}

void NeuralAnimator::prepare_device(const torch::Tensor& x, const torch::Tensor& lip_cond, SourceState& s) {
  // Contiguous once here: W takes it contiguous on every frame, and a compiled
  // F may hand it back in another layout (a 4 MB copy per frame otherwise).
  s.feature_3d = models_->forward(ModelId::AppearanceFeatureExtractor, {x})[0].contiguous();
  s.motion = decode_motion(RawMotion::from_outputs(models_->forward(ModelId::MotionExtractor, {x})));
  s.x_s = transform_keypoints(s.motion);
  if (lip_cond.defined()) s.lip_normalize_delta = lip_delta(s.x_s, lip_cond);
}

// The captured preparation: static input image and lip condition, static
// outputs (cloned out after each replay, so the next replay cannot change a
// prepared source). The normalize-lip delta is always computed and dropped
// when the source's lips are closed: one graph for every portrait.
struct NeuralAnimator::PrepareGraph {
#ifdef LIVEPUPPET_HAVE_CUDA
  at::cuda::CUDAGraph graph;
#endif
  std::shared_ptr<ModelSet> models;
  torch::Tensor in, lip_cond;
  SourceState out;  // its device tensors are the static outputs
};

#ifdef LIVEPUPPET_HAVE_CUDA
namespace {

// Warm-up and capture, shared by the frame and the preparation graph: `run`
// goes `warmups` times on a side stream (cuDNN autotuning, TorchScript
// profiling runs) so that the capture sees steady state, then `between` runs
// (device synchronised), then one more `run` is captured into `graph` in
// memory pool `pool`. Thread-local capture mode: another thread's CUDA calls
// (e.g. prepare_source of the next portrait) do not invalidate it. Throws what
// the warm-up or the capture throws; `capturing` is true during the capture only.
void warm_up_and_capture(at::cuda::CUDAGraph& graph, std::pair<unsigned long long, unsigned long long> pool,
                         torch::Device dev, int warmups, bool& capturing, const std::function<void()>& run,
                         const std::function<void()>& between) {
  auto side = c10::cuda::getStreamFromPool(false, dev.index());
  at::cuda::CUDAEvent ready;
  ready.record(c10::cuda::getCurrentCUDAStream(dev.index()));
  ready.block(side);
  c10::cuda::CUDAStreamGuard sg(side);
  for (int i = 0; i < warmups; ++i) run();
  torch::cuda::synchronize(dev.index());
  if (between) between();
  capturing = true;
  graph.capture_begin(pool, cudaStreamCaptureModeThreadLocal);
  try {
    run();
  } catch (...) {
    capturing = false;
    try {
      graph.capture_end();
    } catch (...) {
    }
    throw;
  }
  graph.capture_end();
  capturing = false;
  torch::cuda::synchronize(dev.index());
}

}  // namespace

// The frame graph and the preparation graph capture into one memory pool, so
// the second capture reuses the first one's intermediate buffers instead of
// holding its own (keeps batch 1 under 1.5 GB). Safe because the two never
// replay concurrently (one thread, or the engine's lock) and every replay's
// outputs are cloned out before the other graph can replay over them; all
// state that lives across replays (source, reference, smoothing, inputs) is
// allocated outside the captures.
std::pair<unsigned long long, unsigned long long> NeuralAnimator::shared_graph_pool() const {
  if (prepare_graph_) return prepare_graph_->graph.pool();
  if (graph_) return graph_->graph.pool();
  return {0, 0};  // the first capture makes a new pool
}
#endif

bool NeuralAnimator::try_prepare_graphed(const torch::Tensor& x, float lip, SourceState& s) {
#ifndef LIVEPUPPET_HAVE_CUDA
  (void)x, (void)lip, (void)s;
  return false;
#else
  const auto dev = models_->device();
  if (!graphs_on_ || !prepare_graph_on_ || !dev.is_cuda() || prepare_graph_failed_) return false;
  c10::cuda::CUDAGuard device_guard(dev);
  const float lip_c = std::max(lip, 0.f);
  if (!prepare_graph_ || prepare_graph_->models != models_ || prepare_graph_->in.sizes() != x.sizes() ||
      prepare_graph_->in.scalar_type() != x.scalar_type()) {
    // Captured into the frame graph's memory pool, whose freed intermediates
    // are larger than everything the preparation needs: so not before a frame
    // graph exists (the first portrait is prepared eagerly anyway, before any
    // driving frame), which keeps the preparation graph from adding VRAM.
    prepare_graph_.reset();  // one for other models (fp16 -> fp32) is of no use now
    if (!graph_ || graph_->models != models_) return false;
    // No graph yet for these models: capture one (its warm-up runs are the
    // eager work), then this call replays it like every later one.
    auto g = std::make_shared<PrepareGraph>();
    g->models = models_;
    g->in = x.clone();
    g->lip_cond = lip_condition(lip_c, 0.f, dev);
    try {
      warm_up_and_capture(g->graph, shared_graph_pool(), dev, 2, capturing_,
                          [&] { prepare_device(g->in, g->lip_cond, g->out); }, nullptr);
      prepare_graph_ = g;
      c10::cuda::CUDACachingAllocator::emptyCache();
    } catch (const std::exception& e) {
      (void)cudaGetLastError();
      prepare_graph_failed_ = true;  // eager from now on (the frame graph's status is separate)
      status_ = "source preparation runs eagerly: CUDA graph capture failed (" + first_line(e.what()) + ")";
      return false;
    }
  }
  PrepareGraph& g = *prepare_graph_;
  g.in.copy_(x);
  g.lip_cond.copy_(lip_condition(lip_c, 0.f, torch::kCPU));
  g.graph.replay();
  s.feature_3d = g.out.feature_3d.clone();
  s.motion = g.out.motion.clone();
  s.x_s = g.out.x_s.clone();
  if (lip >= kLipNormalizeThreshold) s.lip_normalize_delta = g.out.lip_normalize_delta.clone();
  return true;
#endif
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

torch::Tensor NeuralAnimator::smoothing_steps(const std::vector<double>& ts, int64_t bs) {
  auto dt = torch::empty({bs}, torch::kFloat);
  for (int64_t b = 0; b < bs; ++b) {
    const size_t i = static_cast<size_t>(b);
    const double t = (i < ts.size() && ts[i] >= 0.0) ? ts[i] : last_timestamp_ + 1.0 / 30.0;
    last_timestamp_ = t;
    dt[b] = static_cast<float>(smoother_.step(t));
  }
  return dt;
}

MotionInfo NeuralAnimator::smooth(const MotionInfo& d, const AnimationParams& params, const torch::Tensor& dt) {
  smoother_.set_params(params.smoothing_params);
  const int64_t bs = d.batch();
  const auto packed = torch::cat({d.pitch, d.yaw, d.roll, d.t, d.exp.reshape({bs, 63}), d.scale}, 1).to(torch::kFloat);
  const auto out = smoother_.filter(packed, dt);
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

NeuralAnimator::FramePlan NeuralAnimator::plan_frame(const SourceState& source, int64_t bs,
                                                     const std::vector<DrivingRatios>& ratios,
                                                     const AnimationParams& params) const {
  FramePlan plan;
  auto ratio = [&](size_t b) { return b < ratios.size() ? ratios[b] : DrivingRatios{}; };
  const bool source_eyes_known = source.eye_ratio_left >= 0.f && source.eye_ratio_right >= 0.f;
  plan.use_eye = params.eye_retargeting && source_eyes_known;
  plan.use_lip = params.lip_retargeting && source.lip_ratio >= 0.f;
  std::vector<float> eye_cd(static_cast<size_t>(bs)), lip_cd(static_cast<size_t>(bs));
  for (size_t b = 0; b < static_cast<size_t>(bs); ++b) {
    // Official: the driving eye condition is the first eye's ratio (c_d_eyes_i[0][0]).
    eye_cd[b] = params.eye_open_auto ? ratio(b).eye_left : params.eye_open;
    lip_cd[b] = params.lip_open_auto ? ratio(b).lip : params.lip_open;
    if (eye_cd[b] < 0.f) plan.use_eye = false;  // auto without a driving face: nothing to follow
    if (lip_cd[b] < 0.f) plan.use_lip = false;
  }
  if (plan.use_eye) {
    plan.eye_cond = torch::empty({bs, 3}, torch::kFloat);
    float* c = plan.eye_cond.data_ptr<float>();
    for (int64_t b = 0; b < bs; ++b) {
      c[3 * b] = source.eye_ratio_left;
      c[3 * b + 1] = source.eye_ratio_right;
      c[3 * b + 2] = eye_cd[static_cast<size_t>(b)];
    }
  }
  if (plan.use_lip) {
    plan.lip_cond = torch::empty({bs, 2}, torch::kFloat);
    float* c = plan.lip_cond.data_ptr<float>();
    for (int64_t b = 0; b < bs; ++b) {
      c[2 * b] = source.lip_ratio;
      c[2 * b + 1] = lip_cd[static_cast<size_t>(b)];
    }
  }
  return plan;
}

torch::Tensor NeuralAnimator::driving_keypoints(const SourceState& source, const MotionInfo& driving_in,
                                                const std::vector<DrivingRatios>& ratios,
                                                const AnimationParams& params, const std::vector<double>& ts,
                                                bool* captured_reference) {
  c10::InferenceMode guard;
  const auto dev = models_->device();
  const int64_t bs = driving_in.batch();
  MotionInfo driving =
      params.smoothing ? smooth(driving_in, params, smoothing_steps(ts, bs).to(dev)) : driving_in;
  if (!params.smoothing && !ts.empty() && ts.back() >= 0.0) last_timestamp_ = ts.back();
  if (captured_reference) *captured_reference = false;
  if (!has_reference_ || rezero_pending_) {
    reference_ = driving.select(0).clone();
    has_reference_ = true;
    rezero_pending_ = false;
    ++reference_generation_;
    if (captured_reference) *captured_reference = true;
  }
  const FramePlan plan = plan_frame(source, bs, ratios, params);
  return driving_keypoints_device(source, driving, params, plan,
                                  plan.use_eye ? plan.eye_cond.to(dev) : torch::Tensor(),
                                  plan.use_lip ? plan.lip_cond.to(dev) : torch::Tensor());
}

torch::Tensor NeuralAnimator::driving_keypoints_device(const SourceState& source, const MotionInfo& driving,
                                                       const AnimationParams& params, const FramePlan& plan,
                                                       const torch::Tensor& eye_cond,
                                                       const torch::Tensor& lip_cond) {
  c10::InferenceMode guard;
  const int64_t bs = driving.batch();
  const MotionConstants& constants = constants_for(params);
  const torch::Tensor& x_s = source.x_s;
  const bool relative = params.relative_motion;
  torch::Tensor x_d = compose_driving_keypoints(source.motion, driving, &reference_, params, &constants);

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

  if (!plan.use_eye && !plan.use_lip) {
    if (params.stitching) x_d = stitch(x_s, x_d);
    if (params.normalize_lip && relative && source.lip_normalize_delta.defined())
      x_d = x_d + source.lip_normalize_delta;
  } else {
    // Official: with retargeting and relative motion the result is x_s + deltas
    // (x_s carrying the expression edits here), else x_d + deltas.
    torch::Tensor base = relative ? (params.edit.any() ? edited_source_keypoints(source.motion, params.edit, &constants)
                                                       : x_s.expand({bs, kNumKeypoints, 3}))
                                  : x_d;
    x_d = base;
    if (plan.use_eye) x_d = x_d + eye_delta(x_s, eye_cond);
    if (plan.use_lip) x_d = x_d + lip_delta(x_s, lip_cond);
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
  const auto t_start = Clock::now();
  AnimatedCrop out;
  torch::Tensor health;  // the replay's image_health, when a graph ran
  if (try_animate_graphed(source, driving256, ratios, params, timestamps_s, &out, &health)) {
    out.used_cuda_graph = true;
  } else {
    out = animate_eager(source, driving256, ratios, params, timestamps_s);
  }
  guard_precision(source, driving256, ratios, params, health, &out);
  if (models_->device().is_cuda()) torch::cuda::synchronize(models_->device().index());
  out.timings.total_ms = ms_since(t_start);
  return out;
}

AnimatedCrop NeuralAnimator::animate_eager(const SourceState& source, const torch::Tensor& driving256,
                                           const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                                           const std::vector<double>& timestamps_s) {
  c10::InferenceMode guard;
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

bool NeuralAnimator::try_animate_graphed(const SourceState& source, const torch::Tensor& driving256,
                                         const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                                         const std::vector<double>& timestamps_s, AnimatedCrop* out,
                                         torch::Tensor* health) {
#ifndef LIVEPUPPET_HAVE_CUDA
  (void)source, (void)driving256, (void)ratios, (void)params, (void)timestamps_s, (void)out, (void)health;
  return false;
#else
  const auto dev = models_->device();
  if (!graphs_on_ || !dev.is_cuda()) return false;
  if (params.smoothing && !smoother_.initialized()) {
    graph_status_ = "eager: this frame starts the smoothing";
    return false;
  }
  if (!has_reference_ || rezero_pending_) {
    graph_status_ = "eager: this frame becomes the driving reference";
    return false;
  }
  auto x = driving256;
  if (!x.defined()) return false;
  if (x.dim() == 3) x = x.unsqueeze(0);
  if (x.dim() != 4) return false;  // let the eager path report the bad shape
  const int64_t bs = x.size(0);
  FramePlan plan = plan_frame(source, bs, ratios, params);

  std::vector<double> key = {double(source.id), double(reference_generation_), double(plan.use_eye),
                             double(plan.use_lip), double(static_cast<int>(x.scalar_type())),
                             double(reinterpret_cast<uintptr_t>(models_.get()))};
  for (int64_t i = 0; i < x.dim(); ++i) key.push_back(double(x.size(i)));
  append_params_key(params, &key);
  if (key == failed_graph_key_) return false;  // graph_status_ still says why

  c10::cuda::CUDAGuard device_guard(dev);
  if (!graph_ || graph_->key != key) {
    // Capture once the parameters have settled: while a slider is dragged every
    // frame has new parameters, and eager is cheaper than a capture per frame.
    if (key != last_graph_key_) {
      last_graph_key_ = key;
      graph_key_repeats_ = 0;
    } else {
      ++graph_key_repeats_;
    }
    if (graph_key_repeats_ < 2) {
      graph_status_ = "eager: waiting for the parameters to settle before capturing";
      return false;
    }
    graph_.reset();  // free the previous graph's pool first
    auto g = std::make_shared<FrameGraph>();
    g->key = key;
    g->models = models_;
    g->source = source;
    g->reference = reference_;
    g->constants = constants_for(params);
    g->in = torch::empty(x.sizes(), x.options().device(dev));
    g->in.copy_(x);
    if (plan.use_eye) g->eye_cond = plan.eye_cond.to(dev);
    if (plan.use_lip) g->lip_cond = plan.lip_cond.to(dev);
    if (params.smoothing) g->dt = torch::full({x.size(0)}, 1.0 / 30.0, torch::dtype(torch::kFloat).device(dev));
    auto run = [&] {
      MotionInfo d = extract_motion(g->in);
      if (params.smoothing) d = smooth(d, params, g->dt);
      g->x_d = driving_keypoints_device(source, d, params, plan, g->eye_cond, g->lip_cond);
      g->image = render(source, g->x_d, nullptr);
      if (fp16_guard_ && models_->precision() == Precision::Fp16) g->health = image_health(g->image);
    };
    // The warm-up really runs the One-Euro filter: its state is put back after
    // (and when the capture fails). Saved before the side stream starts.
    const OneEuroTensorFilter::State smoothing_state = smoother_.save();
    try {
      // The warm-up also fills the expression-friendly multiplier cache.
      warm_up_and_capture(g->graph, shared_graph_pool(), dev, 3, capturing_, run, [&] {
        smoother_.restore(smoothing_state);
        if (params.expression_friendly && params.relative_motion) g->x_d0 = multiplier_cache_.x_d0;
      });
    } catch (const std::exception& e) {
      (void)cudaGetLastError();  // clear a capture error so later eager calls are unaffected
      try {
        torch::cuda::synchronize(dev.index());
        smoother_.restore(smoothing_state);
      } catch (const std::exception&) {
        smoother_.reset();  // the device is unwell: at least no half-advanced state
      }
      failed_graph_key_ = key;
      graph_status_ = "eager: CUDA graph capture failed (" + first_line(e.what()) + ")";
      return false;
    }
    graph_ = g;
    ++graph_captures_;
    // The warm-up ran on a side stream whose cached blocks the current stream
    // cannot reuse, and the capture has its own pool: hand the unused cache back
    // to the device so that graphs do not double the process's VRAM.
    c10::cuda::CUDACachingAllocator::emptyCache();
  } else {
    graph_->in.copy_(x);
    if (plan.use_eye) graph_->eye_cond.copy_(plan.eye_cond);
    if (plan.use_lip) graph_->lip_cond.copy_(plan.lip_cond);
  }
  if (params.smoothing) graph_->dt.copy_(smoothing_steps(timestamps_s, x.size(0)));
  else if (!timestamps_s.empty() && timestamps_s.back() >= 0.0) last_timestamp_ = timestamps_s.back();
  graph_->graph.replay();
  out->image = graph_->image.clone();
  out->x_driving = graph_->x_d.clone();
  *health = graph_->health;  // read by guard_precision before the next replay (undefined: it computes it)
  graph_status_ = "on: replaying the captured frame (" + std::to_string(graph_captures_) + " capture" +
                  (graph_captures_ == 1 ? "" : "s") + " so far)";
  return true;
#endif
}

void NeuralAnimator::guard_precision(const SourceState& source, const torch::Tensor& driving256,
                                     const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                                     const torch::Tensor& health, AnimatedCrop* out) {
  if (!fp16_guard_ || models_->precision() != Precision::Fp16 || !out->image.defined()) return;
  const FrameHealth h = read_health(health.defined() ? health : image_health(out->image));
  if (!h.non_finite && !(h.black && !black_frames_seen_in_fp32_too_)) return;
  // Render the frame again in fp32: keep fp32 if it fixes the frame.
  ModelSetOptions o = models_->options();
  o.precision = "fp32";
  std::shared_ptr<ModelSet> fp32;
  try {
    fp32 = ModelSet::load(models_->dir(), o);
  } catch (const std::exception& e) {
    status_ = std::string("fp16 gave a broken frame, and fp32 models could not be loaded: ") + e.what();
    return;
  }
  auto fp16 = models_;
  models_ = fp32;
  graph_.reset();
  prepare_graph_.reset();  // holds the fp16 set and its pool
  prepare_graph_failed_ = false;
  // A non-finite frame may have put NaN into the One-Euro state, and the redo
  // below smooths this frame again: start the smoothing afresh.
  if (h.non_finite) smoother_.reset();
  if (out->captured_reference) rezero_pending_ = true;  // the reference came from the broken frame
  AnimatedCrop redo = animate_eager(source, driving256, ratios, params, {});
  if (!h.non_finite && frame_is_broken(redo.image)) {
    // Black in fp32 too: a genuinely dark frame, not an fp16 problem.
    models_ = fp16;
    black_frames_seen_in_fp32_too_ = true;
    return;
  }
  status_ = std::string("fp16 gave a ") + (h.non_finite ? "non-finite" : "black") + " frame on " +
            models_->device().str() + ": switched to fp32";
  *out = redo;
}

}  // namespace lp
