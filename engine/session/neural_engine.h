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

 private:
  std::shared_ptr<ModelSet> models_;
  std::unique_ptr<NeuralAnimator> animator_;
  std::unique_ptr<CropSmoother> crop_smoother_;
  std::string status_;
  // prepare() runs on a source worker while animate() runs on the engine
  // thread; the animator may swap its models (fp16 -> fp32 fallback), so both
  // go through this lock.
  std::mutex animator_mu_;
  cv::Mat last_driving256_;  // reused while the driving face is briefly lost
  at::Tensor pinned_;        // page-locked host buffer for GPU -> host copies
  DrivingSample last_driving_;
};

}  // namespace lp
