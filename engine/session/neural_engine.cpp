#include "neural_engine.h"

#include "core/gpu_preprocess.h"
#include "core/model_set.h"
#include "core/neural_animator.h"
#include "vision/crop_smoother.h"
#include "vision/paste_back.h"

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <filesystem>

namespace lp {

namespace {

// Prepared state of one portrait: its crop and the animator's source state.
struct NeuralSource : EngineSource {
  FaceCrop crop;
  cv::Mat source256_rgb;
  SourceState state;
};

torch::Tensor rgb_u8_tensor(const cv::Mat& bgr256) {
  cv::Mat rgb;
  cv::cvtColor(bgr256, rgb, cv::COLOR_BGR2RGB);
  return torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8).clone();
}

// [1,3,H,W] float in [0,1] on any device -> HxWx3 uint8 on the CPU. The
// conversion to uint8 HWC happens on the device (4x less to copy); from a GPU
// the copy goes through a reused pinned (page-locked) host buffer, which the
// driver can DMA into directly.
cv::Mat tensor_to_rgb8(const torch::Tensor& image, torch::Tensor& pinned) {
  torch::Tensor t = image[0].detach().clamp(0, 1).mul(255.0f).round().to(torch::kUInt8).permute({1, 2, 0})
                        .contiguous();
  if (t.is_cuda()) {
    if (!pinned.defined() || pinned.sizes() != t.sizes())
      pinned = torch::empty(t.sizes(), torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true));
    pinned.copy_(t);
    t = pinned;
  }
  cv::Mat m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC3, t.data_ptr<uint8_t>());
  return m.clone();
}

// Motion template <-> the animator's decoded motion (float32, batch 1).
MotionKeypoints keypoints_from_motion(const MotionInfo& m) {
  auto vec = [](const torch::Tensor& t) {
    torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous().view({-1});
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  MotionKeypoints k;
  k.pitch = vec(m.pitch)[0];
  k.yaw = vec(m.yaw)[0];
  k.roll = vec(m.roll)[0];
  k.scale = vec(m.scale)[0];
  k.t = vec(m.t);
  k.exp = vec(m.exp);
  k.kp = vec(m.kp);
  return k;
}

MotionInfo motion_from_keypoints(const MotionKeypoints& k, torch::Device device) {
  if (k.t.size() != 3 || k.exp.size() != 63 || k.kp.size() != 63)
    throw EngineError("motion template frame has wrong keypoint sizes (t 3, exp 63, kp 63 expected)");
  auto opts = torch::TensorOptions().dtype(torch::kFloat);
  auto from = [&](const std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::from_blob(const_cast<float*>(v.data()), shape, opts).clone().to(device);
  };
  MotionInfo m;
  m.pitch = torch::full({1, 1}, k.pitch, opts).to(device);
  m.yaw = torch::full({1, 1}, k.yaw, opts).to(device);
  m.roll = torch::full({1, 1}, k.roll, opts).to(device);
  m.R = rotation_matrix(m.pitch, m.yaw, m.roll);
  m.scale = torch::full({1, 1}, k.scale, opts).to(device);
  m.t = from(k.t, {1, 3});
  m.exp = from(k.exp, {1, 21, 3});
  m.kp = from(k.kp, {1, 21, 3});
  return m;
}

// Colour matching of the animated crop to the source: the mean RGB difference
// in the band where the paste-back mask fades (what the eye compares across
// the seam), as a shift the paste-back shader adds to the crop.
cv::Vec3f color_match_shift(const cv::Mat& crop_rgb, const cv::Mat& source_crop_bgr) {
  static const cv::Mat band = [] {
    cv::Mat m = make_paste_back_mask(512, 16), b;
    cv::inRange(m, 0.5f, 0.999f, b);  // the inner half of the feather ramp
    return b;
  }();
  cv::Mat src_rgb;
  cv::cvtColor(source_crop_bgr, src_rgb, cv::COLOR_BGR2RGB);
  const cv::Scalar a = cv::mean(crop_rgb, band), b = cv::mean(src_rgb, band);
  return cv::Vec3f(static_cast<float>((b[0] - a[0]) / 255.0), static_cast<float>((b[1] - a[1]) / 255.0),
                   static_cast<float>((b[2] - a[2]) / 255.0));
}

}  // namespace

NeuralEngine::NeuralEngine(std::shared_ptr<ModelSet> models)
    : models_(std::move(models)),
      animator_(std::make_unique<NeuralAnimator>(models_)),
      crop_smoother_(std::make_unique<CropSmoother>()) {
  // On a GPU the whole frame runs as one CUDA graph (falls back to eager, and
  // says why, when it cannot); per-stage timings would need syncs it avoids.
  const bool gpu = models_->device().is_cuda();
  animator_->set_cuda_graphs(gpu);
  animator_->set_stage_timing(!gpu);
  set_device_crop(gpu);
  status_ = models_->notes();
  // The animator owns the models from here on (and may replace them with an
  // fp32 set); holding them here too would keep a dropped set in VRAM.
  models_.reset();
}

NeuralEngine::~NeuralEngine() = default;

void NeuralEngine::set_device_crop(bool on) {
  std::lock_guard<std::mutex> lock(animator_mu_);
  cropper_ = on ? std::make_unique<FrameCropper>(animator_->models().device()) : nullptr;
  last_driving256_ = at::Tensor();
}

std::string NeuralEngine::device() const { return animator_->models().describe(); }

std::unique_ptr<EngineSource> NeuralEngine::prepare(std::shared_ptr<const SourceImage> source, int face_index,
                                                    const Parameters& params) {
  const std::string name = std::filesystem::path(source->path).filename().string();
  if (source->faces.empty()) throw EngineError(name + ": no face found");
  auto out = std::make_unique<NeuralSource>();
  out->source = source;
  out->face_index = face_index;
  const Face& face = source->faces.at(static_cast<size_t>(face_index));
  out->crop = crop_face(source->bgr, face.landmarks, params.source_crop);
  if (!out->crop.ok()) throw EngineError(name + ": " + out->crop.error);
  const Openness o = compute_openness(face.landmarks);
  torch::InferenceMode guard;
  std::lock_guard<std::mutex> lock(animator_mu_);
  out->state = animator_->prepare_source(rgb_u8_tensor(out->crop.input256), o.right_eye, o.left_eye, o.lip);
  return out;
}

AnimatedFrame NeuralEngine::animate(EngineSource& src, const DrivingSample& d, const Parameters& params) {
  auto& s = static_cast<NeuralSource&>(src);
  AnimatedFrame f;
  f.source = s.source;
  f.face_index = s.face_index;
  f.engine_name = name();
  f.crop = s.crop.transform;

  // The driving crop: the tracked face, smoothed; while the face is briefly
  // lost the last good crop is reused; with no driving input at all the
  // source drives itself, so the expression sliders still work.
  torch::InferenceMode guard;
  std::lock_guard<std::mutex> lock(animator_mu_);
  torch::Tensor driving256;  // [1,3,256,256] float on the device, or [256,256,3] uint8 on the CPU
  DrivingRatios ratios;
  if (d.new_stream) {
    crop_smoother_->reset();
    last_driving256_ = torch::Tensor();
  }
  if (d.face && !d.bgr.empty()) {
    CropTransform raw = compute_crop_transform(d.face->landmarks, params.driving_crop);
    CropTransform smoothed = crop_smoother_->smooth(raw, d.time_s);
    if (cropper_ && d.bgr.type() == CV_8UC3 && d.bgr.isContinuous()) {
      // As crop_face() does, on the device: warp to dsize (bilinear, black
      // outside), area-resize to 256, then BGR -> RGB.
      const cv::Matx23d& m = smoothed.M_o2c;
      const torch::Tensor frame = torch::from_blob(d.bgr.data, {d.bgr.rows, d.bgr.cols, 3}, torch::kUInt8);
      try {
        torch::Tensor c =
            cropper_->crop(frame, {m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)}, smoothed.dsize);
        if (smoothed.dsize != 256) c = torch::adaptive_avg_pool2d(c, {256, 256});
        driving256 = c.flip({1});
      } catch (const std::invalid_argument&) {
        // A degenerate crop (singular matrix): as crop_face() failing, the
        // last good crop is reused below.
      }
    } else {
      FaceCrop dc = crop_face(d.bgr, d.face->landmarks, smoothed);
      if (dc.ok()) driving256 = rgb_u8_tensor(dc.input256);
    }
    if (driving256.defined()) {
      last_driving256_ = driving256;
      f.driving_crop = smoothed;
      ratios.eye_left = d.openness.right_eye;
      ratios.eye_right = d.openness.left_eye;
      ratios.lip = d.openness.lip;
    }
  }
  if (d.bgr.empty() && d.face && !d.motion && !d.want_motion)
    throw EngineError("this motion template has no keypoint parameters for the neural engine "
                      "(it was saved with the classic engine; save it again with --engine neural)");
  if (!driving256.defined())
    driving256 = last_driving256_.defined() ? last_driving256_ : rgb_u8_tensor(s.crop.input256);

  if (d.motion && d.openness.lip > 0) {  // replayed template: its saved ratios
    ratios.eye_left = d.openness.right_eye;
    ratios.eye_right = d.openness.left_eye;
    ratios.lip = d.openness.lip;
  }

  AnimatedCrop out;
  if (d.motion || d.want_motion) {
    // Motion templates: the same pipeline in its stages, so the driving
    // motion can be saved or replayed without the video.
    const auto t0 = std::chrono::steady_clock::now();
    MotionInfo m = d.motion ? motion_from_keypoints(*d.motion, animator_->models().device())
                            : animator_->extract_motion(driving256);
    if (d.want_motion && !d.motion) f.driving_motion = keypoints_from_motion(m);
    torch::Tensor x_d = animator_->driving_keypoints(s.state, m, {ratios}, params.animation, {d.time_s});
    out.image = animator_->render(s.state, x_d, &out.timings);
    out.timings.total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  } else {
    out = animator_->animate(s.state, driving256, ratios, params.animation, d.time_s);
  }
  f.crop_rgb = tensor_to_rgb8(out.image, pinned_);
  f.paste_back = params.animation.paste_back && params.animation.stitching;
  if (params.color_match && f.paste_back) f.color_shift = color_match_shift(f.crop_rgb, s.crop.crop512);
  f.timings = {{"M", out.timings.motion_ms},
               {"keypoints+MLPs", out.timings.keypoints_ms},
               {"W", out.timings.warp_ms},
               {"G", out.timings.generator_ms}};
  // fp16 trouble (non-finite or black frames on some GPUs) switches to fp32
  // inside the animator; its status says so, as does the graph status.
  status_ = animator_->status().empty() ? animator_->models().notes() : animator_->status();
  if (animator_->models().device().is_cuda() && !animator_->cuda_graph_status().empty())
    status_ += (status_.empty() ? "" : " | ") + animator_->cuda_graph_status();
  return f;
}

void NeuralEngine::rezero() { animator_->rezero(); }

}  // namespace lp
