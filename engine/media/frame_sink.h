#pragma once
// FrameSink: where a Recorder sends its frames. VideoWriter is the real one;
// tests plug in a slow or failing sink to exercise back-pressure and errors.
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>

namespace lp {

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // One frame at `pts` (frame units, increasing). False once the sink failed.
  virtual bool write(const cv::Mat& bgr, std::int64_t pts) = 0;
  virtual bool finish() = 0;
  virtual bool failed() const = 0;
  virtual std::string error() const = 0;
  virtual std::int64_t frames_written() const = 0;  // durably stored
  virtual std::int64_t bytes_written() const = 0;
  virtual std::string path() const = 0;
};

}  // namespace lp
