#include "screenshot.h"

#include "gl/gl.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>

namespace lp {

bool save_window_screenshot(int width, int height, const std::string& path) {
  cv::Mat rgba(height, width, CV_8UC4);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data);
  cv::Mat bgr;
  cv::cvtColor(rgba, bgr, cv::COLOR_RGBA2BGR);
  cv::flip(bgr, bgr, 0);  // GL's first row is the bottom
  return save_image(bgr, path);
}

bool save_image(const cv::Mat& bgr, const std::string& path) {
  bool ok = false;
  try {
    ok = cv::imwrite(path, bgr);
  } catch (const cv::Exception&) {
    ok = false;
  }
  if (!ok) std::fprintf(stderr, "livepuppet: cannot write %s\n", path.c_str());
  return ok;
}

}  // namespace lp
