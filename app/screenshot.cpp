#include "screenshot.h"

#include "gl/gl.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <system_error>

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
  // cv::imwrite says only "false": find the reason a person can act on.
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::string why;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    why = "the folder " + parent.string() + " does not exist";
  else if (!cv::haveImageWriter(path))
    why = "no image format for this file name (use .png or .jpg)";
  bool ok = false;
  if (why.empty()) {
    try {
      ok = cv::imwrite(path, bgr);
    } catch (const cv::Exception& e) {
      why = e.what();
    }
    if (!ok && why.empty()) why = std::filesystem::is_directory(path, ec) ? "it is a folder" : "the write failed";
  }
  if (!ok) std::fprintf(stderr, "livepuppet: cannot write %s: %s\n", path.c_str(), why.c_str());
  return ok;
}

}  // namespace lp
