#pragma once
// Webcams: enumerate V4L2 capture devices (/dev/video*), open one through
// OpenCV's V4L2 backend, notice when it disappears mid-stream (unplugged, taken
// by another program) and reconnect when asked. Errors are messages naming
// the device; nothing throws.
#include <opencv2/core.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace cv {
class VideoCapture;
}

namespace lp {

struct CameraDevice {
  int index = -1;    // N of /dev/videoN
  std::string path;  // "/dev/videoN"
  std::string name;  // from the driver ("HD Webcam C270"), or the path
};

// Video capture devices present now, in index order. Metadata-only nodes
// (a second /dev/video per camera on recent kernels) are left out.
std::vector<CameraDevice> list_cameras();

// OpenCV's V4L2 backend waits up to 10 s for each frame of a camera that
// sends nothing, and stopping the camera waits for that read. This bounds the
// wait to 1 s (OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT, unless the user set it).
// setenv is not thread-safe and OpenCV reads the variable at the first frame:
// call it at the start of main(), before any thread exists (the app does).
void bound_camera_frame_wait();

enum class CameraState { Closed, Streaming, Lost };
const char* to_string(CameraState state);

class CameraSource {
 public:
  CameraSource();
  ~CameraSource();
  CameraSource(const CameraSource&) = delete;
  CameraSource& operator=(const CameraSource&) = delete;

  // Opens /dev/video<index> (or a device path). Requested size/fps are hints
  // (0 = the camera's default). False + error() naming the device on failure.
  bool open(int index, int width = 0, int height = 0, double fps = 0);
  bool open(const std::string& device_path, int width = 0, int height = 0, double fps = 0);

  // Reads the next frame into `out` (a fresh BGR buffer). A camera that sends
  // nothing makes a read fail after 1 s once bound_camera_frame_wait() ran,
  // so stopping a stalled camera waits at most that long for the read. The
  // camera is considered lost once the device node is gone, after
  // `kFailuresUntilLost` reads in a row that failed at once, or after
  // `kSecondsUntilLost` without a frame; state() becomes Lost and error()
  // says so. Returns false on any failed read.
  bool read(cv::Mat& out);

  // Closes and re-opens the same device with the same settings.
  bool reconnect();
  void close();

  CameraState state() const { return state_; }
  const std::string& error() const { return error_; }
  const std::string& device_path() const { return path_; }
  double fps() const;  // what the driver reports, 0 if unknown

  static constexpr int kFailuresUntilLost = 3;
  static constexpr double kSecondsUntilLost = 8.0;

 private:
  std::unique_ptr<cv::VideoCapture> cap_;
  std::string path_;
  int width_ = 0, height_ = 0;
  double fps_ = 0;
  CameraState state_ = CameraState::Closed;
  int failures_ = 0;  // reads in a row that failed at once
  std::chrono::steady_clock::time_point last_frame_;  // or the (re)connection
  std::string error_;
};

}  // namespace lp
