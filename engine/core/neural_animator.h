#pragma once
// The LivePortrait per-source / per-frame pipeline on a loaded ModelSet:
//   prepare_source (once per portrait): F and M on the 256x256 source crop
//   animate (per driving frame):        M -> keypoint maths -> stitching /
//                                       retargeting MLPs -> W -> G
// Inputs are tensors and plain floats only (the session layer does the OpenCV
// cropping and the landmark ratios); the 512x512 output stays on the model's
// device. animate*/rezero/reset change the animator's state (driving reference,
// smoothing): call them from one thread. prepare_source reads only the model set
// and may run on another thread (e.g. hot-swapping a portrait while animating).
#include <torch/script.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/animation_params.h"
#include "core/keypoints.h"
#include "core/model_set.h"
#include "core/motion.h"
#include "core/one_euro.h"

namespace lp {

// Official eye / lip "close ratios" of a face (vision layer); a negative value
// means unknown (no landmarks), which disables what needs it.
struct DrivingRatios {
  float eye_left = -1.f;   // official calc_eye_close_ratio, first eye
  float eye_right = -1.f;  // second eye
  float lip = -1.f;        // official calc_lip_close_ratio
};

struct SourceState {
  uint64_t id = 0;               // unique per prepare_source call
  torch::Tensor feature_3d;      // [1,32,16,64,64], compute dtype, on the device
  MotionInfo motion;             // float32, batch 1
  torch::Tensor x_s;             // [1,21,3] transformed source keypoints
  float eye_ratio_left = -1.f, eye_ratio_right = -1.f, lip_ratio = -1.f;
  // Official normalize-lip: the lip MLP delta that closes the source's lips
  // (defined only when the source lip ratio >= 0.03).
  torch::Tensor lip_normalize_delta;
  double prepare_ms = 0.0;       // wall time of prepare_source (synchronised on CUDA)
  bool used_cuda_graph = false;  // prepared by replaying the captured preparation graph
};

struct StageTimings {
  double motion_ms = 0.0;     // M on the driving frame(s)
  double keypoints_ms = 0.0;  // keypoint maths + stitching/retargeting MLPs (+ smoothing)
  double warp_ms = 0.0;       // W
  double generator_ms = 0.0;  // G
  double total_ms = 0.0;      // the whole call
};

struct AnimatedCrop {
  torch::Tensor image;      // [B,3,512,512] float32 RGB in [0,1], on the model device
  torch::Tensor x_driving;  // [B,21,3] the keypoints W was driven with (float32)
  StageTimings timings;     // for the whole call (all B frames); a CUDA-graph replay has total_ms only
  bool captured_reference = false;  // this call made its first frame the driving reference
  bool used_cuda_graph = false;     // the call replayed (or just captured) a CUDA graph
};

// True when an image tensor holds a non-finite value or is entirely black
// (max <= 1/255): what broken half precision produces on some GPUs. Reads one
// value back from the device.
bool frame_is_broken(const torch::Tensor& image);

class NeuralAnimator {
 public:
  explicit NeuralAnimator(std::shared_ptr<ModelSet> models);

  ModelSet& models() { return *models_; }
  torch::Device device() const { return models_->device(); }

  // rgb: [1,3,256,256] / [3,256,256] float in [0,1], or [256,256,3] / [1,256,256,3]
  // uint8 RGB, on any device. Ratios < 0 = unknown (disables retargeting and
  // normalize-lip for this source). Throws std::invalid_argument on a bad shape.
  SourceState prepare_source(const torch::Tensor& rgb, float source_eye_ratio_left = -1.f,
                             float source_eye_ratio_right = -1.f, float source_lip_ratio = -1.f);

  // One driving frame (same layouts as prepare_source). With relative motion the
  // first frame after construction / reset() / rezero() becomes the reference.
  // timestamp_s feeds the One-Euro filter (negative: 1/30 s after the previous frame).
  AnimatedCrop animate(const SourceState& source, const torch::Tensor& driving256, const DrivingRatios& ratios,
                       const AnimationParams& params, double timestamp_s = -1.0);

  // B driving frames in order, in one batched pass through M, W and G ([B,3,256,256]
  // float or [B,256,256,3] uint8); ratios has B entries (or is empty = unknown).
  // Same result as B animate() calls.
  AnimatedCrop animate_batch(const SourceState& source, const torch::Tensor& driving256,
                             const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                             const std::vector<double>& timestamps_s = {});

  // The stages, for tests, parity and benchmarks.
  MotionInfo extract_motion(const torch::Tensor& rgb256);
  // Full keypoint pipeline for decoded driving motion (updates the reference /
  // smoothing state exactly as animate does).
  torch::Tensor driving_keypoints(const SourceState& source, const MotionInfo& driving,
                                  const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                                  const std::vector<double>& timestamps_s = {}, bool* captured_reference = nullptr);
  torch::Tensor render(const SourceState& source, const torch::Tensor& x_driving, StageTimings* timings = nullptr);
  torch::Tensor stitch(const torch::Tensor& x_s, const torch::Tensor& x_driving);  // stitching MLP applied
  torch::Tensor eye_delta(const torch::Tensor& x_s, const torch::Tensor& eye_condition);  // [B,21,3]
  torch::Tensor lip_delta(const torch::Tensor& x_s, const torch::Tensor& lip_condition);  // [B,21,3]

  // Re-zero: the next driving frame becomes the new neutral reference.
  void rezero() { rezero_pending_ = true; }
  // Forget the reference and the smoothing state (new driving source).
  void reset();
  bool has_reference() const { return has_reference_; }
  const MotionInfo& reference() const { return reference_; }

  // Synchronise the device between stages so that StageTimings are per stage
  // (default on; off saves a few syncs per frame in the live loop, then only
  // total_ms is meaningful).
  void set_stage_timing(bool on) { stage_timing_ = on; }

  // Converts any accepted image layout to [B,3,256,256] on the device, in dtype.
  torch::Tensor to_network_input(const torch::Tensor& rgb, torch::ScalarType dtype) const;

  // CUDA graphs (CUDA builds on a CUDA device only; off by default). When on,
  // animate/animate_batch capture the whole per-frame work (M, keypoint maths,
  // MLPs, W, G) once per source / reference / parameter set / batch size and
  // replay it with static buffers; the per-frame driving image and retargeting
  // conditions are copied in. A call runs eagerly (and says why in
  // cuda_graph_status()) while the parameters keep changing (slider drags),
  // on the frame that takes the driving reference (and the first smoothed
  // frame, which seeds the One-Euro state), and when a capture fails. With
  // smoothing on, the filter's tensor state is updated inside the graph.
  void set_cuda_graphs(bool on);
  // Source preparation as a CUDA graph too (with set_cuda_graphs(true); on by
  // default). Captured, into the frame graph's memory pool, on the first
  // preparation after a frame graph exists; that and later ones replay it. On an
  // H200: 1.9 ms instead of 3.7-6.6 ms eager, for about 100 MB more VRAM
  // (docs/PERFORMANCE.md); off keeps preparation eager.
  void set_prepare_graph(bool on) {
    prepare_graph_on_ = on;
    if (!on) prepare_graph_.reset();
  }
  bool cuda_graphs() const { return graphs_on_; }
  const std::string& cuda_graph_status() const { return graph_status_; }
  int cuda_graph_captures() const { return graph_captures_; }

  // fp16 guard (on by default): in fp16, a frame that comes out non-finite or
  // all black is rendered again in fp32; if fp32 gives a proper frame the
  // animator switches to an fp32 model set for good and says so in status().
  void set_fp16_guard(bool on) { fp16_guard_ = on; }
  // "" or a sentence for the status bar, e.g. why fp32 is used now.
  const std::string& status() const { return status_; }

 private:
  struct FramePlan;
  struct FrameGraph;
  struct PrepareGraph;
  // prepare_source's device work (F, M, keypoints, and the normalize-lip MLP
  // when lip_cond is defined) for x ([1,3,256,256] in the compute dtype) into s.
  void prepare_device(const torch::Tensor& x, const torch::Tensor& lip_cond, SourceState& s);
  // The same through the preparation graph (CUDA graphs on, a frame graph
  // captured), capturing it first if needed; false: s was not filled.
  bool try_prepare_graphed(const torch::Tensor& x, float lip, SourceState& s);
#ifdef LIVEPUPPET_HAVE_CUDA
  std::pair<unsigned long long, unsigned long long> shared_graph_pool() const;
#endif
  void sync() const;
  FramePlan plan_frame(const SourceState& source, int64_t batch, const std::vector<DrivingRatios>& ratios,
                       const AnimationParams& params) const;
  // The device part of driving_keypoints: no host reads, no host-to-device
  // copies once the constants and the multiplier cache are in place.
  torch::Tensor driving_keypoints_device(const SourceState& source, const MotionInfo& driving,
                                         const AnimationParams& params, const FramePlan& plan,
                                         const torch::Tensor& eye_cond, const torch::Tensor& lip_cond);
  const MotionConstants& constants_for(const AnimationParams& params);
  AnimatedCrop animate_eager(const SourceState& source, const torch::Tensor& driving256,
                             const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                             const std::vector<double>& timestamps_s);
  bool try_animate_graphed(const SourceState& source, const torch::Tensor& driving256,
                           const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                           const std::vector<double>& timestamps_s, AnimatedCrop* out, torch::Tensor* health);
  // health: the frame's image_health when a graph computed it, else undefined.
  void guard_precision(const SourceState& source, const torch::Tensor& driving256,
                       const std::vector<DrivingRatios>& ratios, const AnimationParams& params,
                       const torch::Tensor& health, AnimatedCrop* out);
  // One-Euro on the driving motion (device ops; dt: [B] float on the device).
  MotionInfo smooth(const MotionInfo& driving, const AnimationParams& params, const torch::Tensor& dt);
  // Host: the time steps of B driving frames (CPU [B] float); advances the clock.
  torch::Tensor smoothing_steps(const std::vector<double>& ts, int64_t batch);

  std::shared_ptr<ModelSet> models_;
  bool stage_timing_ = true;
  bool has_reference_ = false;
  bool rezero_pending_ = false;
  uint64_t reference_generation_ = 0;
  MotionInfo reference_;
  OneEuroTensorFilter smoother_;
  double last_timestamp_ = 0.0;
  // Expression-friendly cache: x_d0 and multiplier for (source, reference, region).
  struct MultiplierCache {
    uint64_t source_id = 0, generation = 0;
    int region = -1;
    torch::Tensor x_d0;
    double multiplier = 1.0;
  } multiplier_cache_;
  // Device constants for the last parameter set (region mask, edit delta).
  std::vector<float> constants_key_;
  MotionConstants constants_;
  // CUDA graphs.
  bool graphs_on_ = false;
  bool capturing_ = false;  // inside a capture: no synchronisation allowed
  std::string graph_status_ = "off";
  int graph_captures_ = 0;
  std::shared_ptr<FrameGraph> graph_;
  std::shared_ptr<PrepareGraph> prepare_graph_;
  bool prepare_graph_failed_ = false;
  bool prepare_graph_on_ = true;
  std::vector<double> last_graph_key_;
  int graph_key_repeats_ = 0;
  std::vector<double> failed_graph_key_;
  // fp16 guard.
  bool fp16_guard_ = true;
  bool black_frames_seen_in_fp32_too_ = false;
  std::string status_;
};

// Official retargeting conditions: eye [c_s_left, c_s_right, c_d] -> [1,3]; lip [c_s, c_d] -> [1,2].
torch::Tensor eye_condition(float source_left, float source_right, float driving, torch::Device device);
torch::Tensor lip_condition(float source, float driving, torch::Device device);

// [B,3,H,W] float in [0,1] -> [B,H,W,3] uint8 RGB (rounded, clamped), on the same
// device: what the session uploads or pastes back.
torch::Tensor image_to_uint8_hwc(const torch::Tensor& image);

// Official normalize-lip threshold on the source lip ratio.
constexpr float kLipNormalizeThreshold = 0.03f;

}  // namespace lp
