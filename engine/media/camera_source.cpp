#include "media/camera_source.h"

#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lp {

// OpenCV's V4L2 backend waits up to OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT seconds
// (10 by default) for each frame. A camera that is plugged in but sends
// nothing (a USB hiccup, another program holding the stream) then keeps the
// capture thread inside read() that long, and closing or switching the input
// waits for it on the UI thread. OpenCV reads the variable once, at the first
// frame of the process, and offers no per-capture property for V4L2
// (CAP_PROP_READ_TIMEOUT_MSEC is FFmpeg-only). An empty value counts as unset:
// OpenCV would throw parsing it.
void bound_camera_frame_wait() {
  const char* v = std::getenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT");
  if (v == nullptr || *v == '\0') ::setenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "1", 1);
}

const char* to_string(CameraState state) {
  switch (state) {
    case CameraState::Closed: return "closed";
    case CameraState::Streaming: return "streaming";
    case CameraState::Lost: return "lost";
  }
  return "?";
}

namespace {

// Asks the driver whether the node captures video (VIDIOC_QUERYCAP). A node
// we cannot open (busy, permissions) is listed anyway: opening it will say why.
bool is_capture_node(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return true;
  v4l2_capability cap{};
  const bool ok = ::ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0;
  ::close(fd);
  if (!ok) return false;
  const std::uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
  return (caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) != 0;
}

int index_of(const std::string& path) {
  const auto pos = path.find("/dev/video");
  if (pos != 0) return -1;
  try {
    return std::stoi(path.substr(10));
  } catch (...) {
    return -1;
  }
}

}  // namespace

std::vector<CameraDevice> list_cameras() {
  std::vector<CameraDevice> out;
  DIR* dir = ::opendir("/dev");
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind("video", 0) != 0 || name.size() == 5) continue;
    if (!std::all_of(name.begin() + 5, name.end(), ::isdigit)) continue;
    CameraDevice d;
    d.path = "/dev/" + name;
    d.index = std::stoi(name.substr(5));
    if (!is_capture_node(d.path)) continue;
    std::ifstream sys("/sys/class/video4linux/" + name + "/name");
    if (!std::getline(sys, d.name) || d.name.empty()) d.name = d.path;
    out.push_back(d);
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const CameraDevice& a, const CameraDevice& b) { return a.index < b.index; });
  return out;
}

CameraSource::CameraSource() = default;
CameraSource::~CameraSource() { close(); }

bool CameraSource::open(int index, int width, int height, double fps) {
  return open("/dev/video" + std::to_string(index), width, height, fps);
}

bool CameraSource::open(const std::string& device_path, int width, int height, double fps) {
  close();
  path_ = device_path;
  width_ = width;
  height_ = height;
  fps_ = fps;
  return reconnect();
}

bool CameraSource::reconnect() {
  if (cap_) cap_->release();
  cap_.reset();
  failures_ = 0;
  last_frame_ = std::chrono::steady_clock::now();
  state_ = CameraState::Closed;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    error_ = "webcam " + path_ + " cannot be opened: " +
             (errno == ENOENT ? std::string("no such device (unplugged?)") : std::strerror(errno));
    return false;
  }
  auto cap = std::make_unique<cv::VideoCapture>();
  bool opened = false;
  try {
    const int idx = index_of(path_);
    opened = idx >= 0 ? cap->open(idx, cv::CAP_V4L2) : cap->open(path_, cv::CAP_V4L2);
    if (opened) {
      if (width_ > 0) cap->set(cv::CAP_PROP_FRAME_WIDTH, width_);
      if (height_ > 0) cap->set(cv::CAP_PROP_FRAME_HEIGHT, height_);
      if (fps_ > 0) cap->set(cv::CAP_PROP_FPS, fps_);
    }
  } catch (const cv::Exception& e) {
    error_ = "webcam " + path_ + " cannot be opened: " + e.what();
    return false;
  }
  if (!opened || !cap->isOpened()) {
    error_ = "webcam " + path_ + " cannot be opened (busy, not a capture device, or no permission)";
    return false;
  }
  cap_ = std::move(cap);
  state_ = CameraState::Streaming;
  error_.clear();
  return true;
}

void CameraSource::close() {
  if (cap_) cap_->release();
  cap_.reset();
  state_ = CameraState::Closed;
  failures_ = 0;
}

double CameraSource::fps() const { return cap_ ? cap_->get(cv::CAP_PROP_FPS) : 0.0; }

bool CameraSource::read(cv::Mat& out) {
  if (!cap_ || state_ != CameraState::Streaming) return false;
  cv::Mat frame;
  bool ok = false;
  const auto started = std::chrono::steady_clock::now();
  try {
    ok = cap_->read(frame) && !frame.empty();
  } catch (const std::exception&) {  // cv::Exception, or a bad setting OpenCV failed to parse
    ok = false;
  }
  const auto now = std::chrono::steady_clock::now();
  if (ok) {
    failures_ = 0;
    last_frame_ = now;
    out = frame.clone();  // OpenCV may reuse its buffer for the next read
    return true;
  }
  // A read that fails at once is a broken stream: a few in a row and it is
  // lost. A read that waited (the stalled camera's 1 s) is a camera that may
  // still come back: lost only after kSecondsUntilLost without a frame.
  if (now - started < std::chrono::milliseconds(500)) ++failures_;
  struct stat st {};
  const bool gone = ::stat(path_.c_str(), &st) != 0;
  const bool stalled = now - last_frame_ >= std::chrono::duration<double>(kSecondsUntilLost);
  if (gone || failures_ >= kFailuresUntilLost || stalled) {
    state_ = CameraState::Lost;
    error_ = "webcam " + path_ + (gone ? " disappeared (unplugged?)" : " stopped delivering frames") +
             "; reconnect when it is back";
    cap_->release();
    cap_.reset();
  }
  return false;
}

}  // namespace lp
