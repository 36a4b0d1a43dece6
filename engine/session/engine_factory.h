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

}  // namespace lp
