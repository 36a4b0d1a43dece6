#pragma once
// Creates the engines. The classic engine always exists; the neural one only
// when a valid exported model folder is found (otherwise the reason says why,
// and the app falls back to the classic engine).
#include "engine.h"

#include <memory>
#include <string>

namespace lp {

class FaceDetector;

std::unique_ptr<Engine> make_classic_engine(std::shared_ptr<const FaceDetector> detector);

// Loads the neural engine from `models_dir` on `device` ("auto", "cpu",
// "cuda") at `precision` ("auto", "fp32", "fp16"). Returns null and sets
// *why (naming the folder or file) when it cannot.
std::unique_ptr<Engine> make_neural_engine(const std::string& models_dir, const std::string& device,
                                           const std::string& precision, std::string* why);

// Why `models_dir` is no model folder (unset, missing: with its absolute
// path, since a relative default depends on where the app was started, a file).
std::string no_model_folder_reason(const std::string& models_dir);

// Whether the neural engine would run on a CUDA GPU for `device` ("auto",
// "cpu", "cuda", "cuda:N"). On the CPU it takes seconds per frame: fine for
// an export, not for a live puppet, so the app does not choose it by itself.
bool neural_device_is_gpu(const std::string& device);

}  // namespace lp
