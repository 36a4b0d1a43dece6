#pragma once
// Shared fixtures of the vision tests: one FaceDetector (dlib's 68-point model
// takes ~1 s to load) for the whole binary, and media helpers.
#include "test_support.h"
#include "vision/face_detector.h"

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace lp::test {

// The shared detector; loaded on first use. Tests skip if the model is missing
// only when it is genuinely absent (the message says how to install it).
std::shared_ptr<const FaceDetector> shared_detector();

// Reads ../shared/media/<name> as BGR (empty Mat if unreadable).
cv::Mat read_media_image(const std::string& name);
// Frames [first, first + count) of ../shared/media/<name> (step: keep every step-th).
std::vector<cv::Mat> read_media_frames(const std::string& name, int first, int count, int step = 1);

}  // namespace lp::test

#define LP_REQUIRE_DETECTOR()                                                        \
  do {                                                                               \
    if (!::lp::test::shared_detector()->ready())                                     \
      GTEST_SKIP() << "dlib landmark model missing: "                                \
                   << ::lp::test::shared_detector()->load_error();                   \
  } while (0)
