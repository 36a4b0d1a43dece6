#pragma once
// Saving the window or an image to PNG for headless runs and README screenshots.
#include <opencv2/core.hpp>

#include <string>

namespace lp {

// Reads the default framebuffer (the whole window) and writes it as PNG.
bool save_window_screenshot(int width, int height, const std::string& path);
bool save_image(const cv::Mat& bgr, const std::string& path);

}  // namespace lp
