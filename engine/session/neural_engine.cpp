#include "neural_engine.h"

#include "core/model_set.h"
#include "core/neural_animator.h"
#include "vision/crop_smoother.h"

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

cv::Mat tensor_to_rgb8(const torch::Tensor& image) {
  // [1,3,H,W] float in [0,1] on any device -> HxWx3 uint8 on the CPU.
  torch::Tensor t = image[0].detach().clamp(0, 1).mul(255.0f).round().to(torch::kUInt8).permute({1, 2, 0})
                        .contiguous().to(torch::kCPU);
  cv::Mat m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC3, t.data_ptr<uint8_t>());
  return m.clone();
}

}  // namespace

NeuralEngine::NeuralEngine(std::shared_ptr<ModelSet> models)
    : models_(std::move(models)),
      animator_(std::make_unique<NeuralAnimator>(models_)),
      crop_smoother_(std::make_unique<CropSmoother>()) {
  animator_->set_stage_timing(true);
  status_ = models_->notes();
}

NeuralEngine::~NeuralEngine() = default;

std::string NeuralEngine::device() const { return models_->describe(); }

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
  cv::Mat driving256;
  DrivingRatios ratios;
  if (d.new_stream) {
    crop_smoother_->reset();
    last_driving256_.release();
  }
  if (d.face && !d.bgr.empty()) {
    CropTransform raw = compute_crop_transform(d.face->landmarks, params.driving_crop);
    CropTransform smoothed = crop_smoother_->smooth(raw, d.time_s);
    FaceCrop dc = crop_face(d.bgr, d.face->landmarks, smoothed);
    if (dc.ok()) {
      driving256 = dc.input256;
      last_driving256_ = driving256;
      f.driving_crop = smoothed;
      ratios.eye_left = d.openness.right_eye;
      ratios.eye_right = d.openness.left_eye;
      ratios.lip = d.openness.lip;
    }
  }
  if (driving256.empty()) driving256 = last_driving256_.empty() ? s.crop.input256 : last_driving256_;

  torch::InferenceMode guard;
  AnimatedCrop out = animator_->animate(s.state, rgb_u8_tensor(driving256), ratios, params.animation, d.time_s);
  // fp16 trouble (black or non-finite frames on some GPUs): say so; core falls back.
  f.crop_rgb = tensor_to_rgb8(out.image);
  f.paste_back = params.animation.paste_back && params.animation.stitching;
  f.timings = {{"M", out.timings.motion_ms},
               {"keypoints+MLPs", out.timings.keypoints_ms},
               {"W", out.timings.warp_ms},
               {"G", out.timings.generator_ms}};
  status_ = models_->notes();
  return f;
}

void NeuralEngine::rezero() { animator_->rezero(); }

}  // namespace lp
