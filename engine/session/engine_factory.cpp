#include "engine_factory.h"

#include "classic_engine.h"
#include "core/model_set.h"
#include "neural_engine.h"

#include <filesystem>

namespace lp {

std::unique_ptr<Engine> make_classic_engine(std::shared_ptr<const FaceDetector> detector) {
  return std::make_unique<ClassicEngine>(std::move(detector));
}

std::string no_model_folder_reason(const std::string& models_dir) {
  if (models_dir.empty()) return "no model folder is set (see README: Neural engine)";
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(models_dir, ec);
  const std::string shown = ec ? models_dir : abs.string();
  if (std::filesystem::exists(models_dir, ec)) return shown + " is a file, not a model folder";
  return "no model folder at " + shown + " (run models/fetch_weights.sh or export the weights: README, Neural engine)";
}

bool neural_device_is_gpu(const std::string& device) {
  try {
    return resolve_device(device.empty() ? "auto" : device).is_cuda();
  } catch (const std::exception&) {
    return false;
  }
}

std::unique_ptr<Engine> make_neural_engine(const std::string& models_dir, const std::string& device,
                                           const std::string& precision, std::string* why) {
  std::error_code ec;
  if (models_dir.empty() || !std::filesystem::is_directory(models_dir, ec)) {
    if (why) *why = no_model_folder_reason(models_dir);
    return nullptr;
  }
  ModelSetOptions opt;
  opt.device = device.empty() ? "auto" : device;
  opt.precision = precision.empty() ? "auto" : precision;
  // The fast GPU path (docs/PERFORMANCE.md): frozen modules, and channels-last
  // W and G when the export was made for it (--gpu-optimize).
  try {
    if (resolve_device(opt.device).is_cuda()) {
      opt.optimize = true;
      opt.channels_last = ModelSet::check_files(models_dir).has_rewrite("instance_norm_channels_last");
    }
  } catch (const std::exception&) {
    // resolve_device / check_files errors are reported by try_load below.
  }
  std::string error;
  std::shared_ptr<ModelSet> models = ModelSet::try_load(models_dir, opt, &error);
  if (!models) {
    if (why) *why = error;
    return nullptr;
  }
  try {
    return std::make_unique<NeuralEngine>(std::move(models));
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return nullptr;
  }
}

}  // namespace lp
