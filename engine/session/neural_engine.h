#pragma once
// NeuralEngine: LivePortrait behind the Engine interface. The session hands it
// whole images and tracked faces; it does the OpenCV side (source and driving
// crops, openness ratios, tensors) and runs core's NeuralAnimator.
#include "engine.h"

#include <ATen/Tensor.h>

#include <memory>
#include <mutex>
#include <string>

namespace lp {

class ModelSet;
class NeuralAnimator;
class CropSmoother;
class FrameCropper;

class NeuralEngine : public Engine {
 public:
  explicit NeuralEngine(std::shared_ptr<ModelSet> models);
  ~NeuralEngine() override;

  std::string name() const override { return "Neural (LivePortrait)"; }
  EngineKind kind() const override { return EngineKind::Neural; }
  std::string device() const override;
  std::unique_ptr<EngineSource> prepare(std::shared_ptr<const SourceImage> source, int face_index,
                                        const Parameters& params) override;
  AnimatedFrame animate(EngineSource& source, const DrivingSample& driving, const Parameters& params) override;
  void rezero() override;
  std::string status() const override { return status_; }

  // Where the driving frame is cropped to the network's 256x256 input: on the
  // models' device (lp::FrameCropper: the whole frame goes up once through a
  // pinned buffer on a copy stream, the affine crop and the area resize run
  // there, so the CPU only decodes and tracks), or on the CPU with OpenCV.
  // On by default on CUDA, off on the CPU, where OpenCV is faster; tests turn
  // it on to check both give the same frames.
  void set_device_crop(bool on);
  bool device_crop() const { return cropper_ != nullptr; }

 private:
  std::shared_ptr<ModelSet> models_;
  std::unique_ptr<NeuralAnimator> animator_;
  std::unique_ptr<CropSmoother> crop_smoother_;
  std::string status_;
  // prepare() runs on a source worker while animate() runs on the engine
  // thread; the animator may swap its models (fp16 -> fp32 fallback), so both
  // go through this lock.
  std::mutex animator_mu_;
  std::unique_ptr<FrameCropper> cropper_;  // set: crop on the device
  at::Tensor last_driving256_;  // network input, reused while the driving face is briefly lost
  at::Tensor pinned_;        // page-locked host buffer for GPU -> host copies
  DrivingSample last_driving_;
};

}  // namespace lp
