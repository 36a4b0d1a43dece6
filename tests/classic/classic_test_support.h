#pragma once
// Shared helpers of the classic-engine tests: one dlib model per process,
// sources prepared from ../shared/media, and measuring a rendered frame the way
// a person would check it, with the vision library.
#include "classic/classic_animator.h"
#include "classic/warp_render_cpu.h"
#include "test_support.h"
#include "vision/face_detector.h"
#include "vision/openness.h"

#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>

namespace lp::test {

// The process-wide detector (loaded on first use; ~1 s).
std::shared_ptr<const FaceDetector> classic_detector();

struct LoadedSource {
  cv::Mat bgr;
  std::shared_ptr<const PreparedClassicSource> prepared;
};
// Reads ../shared/media/<name> and prepares it; fails the test (ADD_FAILURE)
// and returns an empty source when that does not work.
LoadedSource load_source(const std::string& name);

// Detects the largest face in `image` and returns its openness; nullopt when
// no face is found.
std::optional<Openness> measure_openness(const cv::Mat& image);

// Idle motion off: frames driven by the sliders alone.
IdleMotionParams no_idle();

// Pearson correlation of two equally long series.
double pearson(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace lp::test
