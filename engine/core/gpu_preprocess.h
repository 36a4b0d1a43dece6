#pragma once
// GPU-side pre-processing of driving frames: the CPU only decodes and tracks;
// the frame goes up once (pinned staging buffer, dedicated copy stream) and the
// crop to the network's 256x256 input is an affine warp on the device.
//
// The crop follows cv::warpAffine(frame, M_o2c, {size, size}, INTER_LINEAR,
// BORDER_CONSTANT 0) with pixel centres at integer coordinates: output pixel
// (u, v) samples the frame bilinearly at M_o2c^-1 (u, v, 1). It is
// ATen grid_sample over affine_grid (align_corners = true),
// so no hand-written kernel is involved. Works on the CPU too (slowly), so the
// same code path runs in CPU builds and tests.
#include <torch/script.h>

#include <array>
#include <memory>

namespace lp {

class FrameCropper {
 public:
  explicit FrameCropper(torch::Device device);
  ~FrameCropper();
  FrameCropper(const FrameCropper&) = delete;
  FrameCropper& operator=(const FrameCropper&) = delete;

  torch::Device device() const { return device_; }

  // frame: [H,W,3] uint8 RGB on the CPU. Returns the same frame on the device,
  // ready for use on the current stream (on CUDA: copied through a reused
  // pinned buffer on a copy stream that the current stream then waits for).
  torch::Tensor upload(const torch::Tensor& frame);

  // frame: [H,W,3] uint8 RGB on the CPU (uploaded first) or already on the
  // device. m_o2c: the 2x3 matrix (row-major) mapping frame pixel coordinates
  // to crop pixel coordinates, as given to cv::warpAffine. Returns
  // [1,3,size,size] float RGB in [0,1] on the device: what
  // NeuralAnimator::animate accepts. Throws std::invalid_argument on a bad
  // frame or a singular matrix.
  torch::Tensor crop(const torch::Tensor& frame, const std::array<double, 6>& m_o2c, int size = 256);

 private:
  struct CudaState;
  torch::Device device_;
  torch::Tensor pinned_;  // staging buffer (CUDA only)
  std::unique_ptr<CudaState> cuda_;
};

}  // namespace lp
