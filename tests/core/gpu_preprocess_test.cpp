// FrameCropper (GPU pre-processing) on the CPU: the crop must sample the frame
// where cv::warpAffine would (inverse of the original->crop matrix, pixel
// centres at integers, bilinear, black outside).
#include <gtest/gtest.h>

#include <cmath>

#include "core/gpu_preprocess.h"

namespace {

// A frame whose channels are linear in x and y, so that bilinear sampling is
// exact: R = x + y, G = x, B = y.
torch::Tensor linear_frame(int h, int w) {
  const auto y = torch::arange(h, torch::kFloat).reshape({h, 1}).expand({h, w});
  const auto x = torch::arange(w, torch::kFloat).reshape({1, w}).expand({h, w});
  return torch::stack({x + y, x, y}, 2).to(torch::kUInt8).contiguous();
}

TEST(FrameCropper, SamplesTheFrameThroughTheInverseCropMatrix) {
  const auto frame = linear_frame(100, 120);
  lp::FrameCropper cropper(torch::kCPU);
  // Crop = frame scaled by 0.5 and rotated by 30 degrees about an offset, the way
  // the crop matrices of the vision layer look.
  const double s = 0.5, a = M_PI / 6, ca = s * std::cos(a), sa = s * std::sin(a);
  const std::array<double, 6> m = {ca, -sa, 10.0, sa, ca, -20.0};
  const auto crop = cropper.crop(frame, m, 64);
  ASSERT_EQ(crop.sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
  EXPECT_EQ(crop.scalar_type(), torch::kFloat);
  const double det = ca * ca + sa * sa;
  int inside = 0, outside = 0;
  for (int v = 0; v < 64; v += 7) {
    for (int u = 0; u < 64; u += 5) {
      // Frame pixel that crop pixel (u, v) comes from.
      const double du = u - m[2], dv = v - m[5];
      const double x = (ca * du + sa * dv) / det, y = (-sa * du + ca * dv) / det;
      const float r = crop[0][0][v][u].item<float>() * 255.f, g = crop[0][1][v][u].item<float>() * 255.f,
                  b = crop[0][2][v][u].item<float>() * 255.f;
      if (x >= 0.5 && y >= 0.5 && x <= 118.5 && y <= 98.5) {
        EXPECT_NEAR(g, x, 1e-2) << "u=" << u << " v=" << v;
        EXPECT_NEAR(b, y, 1e-2) << "u=" << u << " v=" << v;
        EXPECT_NEAR(r, x + y, 1e-2) << "u=" << u << " v=" << v;
        ++inside;
      } else if (x < -1.0 || y < -1.0 || x > 120.0 || y > 100.0) {
        EXPECT_EQ(r + g + b, 0.f) << "outside the frame must be black";
        ++outside;
      }
    }
  }
  EXPECT_GT(inside, 20);
  EXPECT_GT(outside, 5);
}

TEST(FrameCropper, RejectsBadFramesAndSingularMatrices) {
  lp::FrameCropper cropper(torch::kCPU);
  const std::array<double, 6> id = {1, 0, 0, 0, 1, 0};
  EXPECT_THROW(cropper.crop(torch::zeros({10, 10, 4}, torch::kUInt8), id), std::invalid_argument);
  EXPECT_THROW(cropper.crop(torch::zeros({10, 10, 3}), id), std::invalid_argument);
  EXPECT_THROW(cropper.crop(linear_frame(10, 10), {0, 0, 0, 0, 0, 0}), std::invalid_argument);
  // Identity crop of the top-left corner reproduces the frame.
  const auto frame = linear_frame(40, 50);
  const auto c = cropper.crop(frame, id, 32);
  EXPECT_NEAR((c[0] * 255.0 - frame.narrow(0, 0, 32).narrow(1, 0, 32).permute({2, 0, 1}).to(torch::kFloat))
                  .abs()
                  .max()
                  .item<float>(),
              0.f, 1e-3);
}

}  // namespace
