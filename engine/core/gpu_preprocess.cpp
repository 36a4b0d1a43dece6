#include "core/gpu_preprocess.h"

#include <cmath>
#include <stdexcept>
#include <string>

#ifdef LIVEPUPPET_HAVE_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace lp {

struct FrameCropper::CudaState {
#ifdef LIVEPUPPET_HAVE_CUDA
  explicit CudaState(torch::Device d) : stream(c10::cuda::getStreamFromPool(false, d.index())) {}
  c10::cuda::CUDAStream stream;
  at::cuda::CUDAEvent copied;  // the last upload out of the pinned buffer
#endif
};

FrameCropper::FrameCropper(torch::Device device) : device_(device) {
#ifdef LIVEPUPPET_HAVE_CUDA
  if (device_.is_cuda()) cuda_ = std::make_unique<CudaState>(device_);
#endif
}

FrameCropper::~FrameCropper() = default;

namespace {
void check_frame(const torch::Tensor& f) {
  if (!f.defined() || f.dim() != 3 || f.size(2) != 3 || f.scalar_type() != torch::kUInt8 || f.size(0) < 2 ||
      f.size(1) < 2)
    throw std::invalid_argument("frame must be a [H,W,3] uint8 RGB tensor (H, W >= 2)");
}
}  // namespace

torch::Tensor FrameCropper::upload(const torch::Tensor& frame) {
  c10::InferenceMode guard;
  check_frame(frame);
  if (frame.device() == device_) return frame;
#ifdef LIVEPUPPET_HAVE_CUDA
  if (cuda_ && frame.device().is_cpu()) {
    c10::cuda::CUDAGuard dg(device_);
    // The previous upload must have left the staging buffer before it is refilled.
    cuda_->copied.synchronize();
    if (!pinned_.defined() || pinned_.sizes() != frame.sizes())
      pinned_ = torch::empty(frame.sizes(), torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true));
    pinned_.copy_(frame);
    auto consumer = c10::cuda::getCurrentCUDAStream(device_.index());
    auto out = torch::empty(frame.sizes(), torch::TensorOptions().dtype(torch::kUInt8).device(device_));
    at::cuda::CUDAEvent ready;
    ready.record(consumer);  // out's memory may still be in use by earlier work on the consumer stream
    ready.block(cuda_->stream);
    {
      c10::cuda::CUDAStreamGuard sg(cuda_->stream);
      out.copy_(pinned_, /*non_blocking=*/true);
    }
    c10::cuda::CUDACachingAllocator::recordStream(out.storage().data_ptr(), cuda_->stream);
    cuda_->copied.record(cuda_->stream);
    cuda_->copied.block(consumer);
    return out;
  }
#endif
  return frame.to(device_);
}

torch::Tensor FrameCropper::crop(const torch::Tensor& frame, const std::array<double, 6>& m, int size) {
  c10::InferenceMode guard;
  check_frame(frame);
  if (size < 2) throw std::invalid_argument("crop size must be >= 2, got " + std::to_string(size));
  const double det = m[0] * m[4] - m[1] * m[3];
  if (!std::isfinite(det) || std::abs(det) < 1e-12) throw std::invalid_argument("crop matrix is singular");
  // Inverse affine: crop pixel -> frame pixel.
  const double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
  const double c = -(a * m[2] + b * m[5]), f = -(d * m[2] + e * m[5]);
  // affine_grid works in normalised coordinates (align_corners: -1 and 1 are the
  // first and last pixel centres): x_px = (x_n + 1) (N - 1) / 2.
  const double W = static_cast<double>(frame.size(1)), H = static_cast<double>(frame.size(0));
  const double so = (size - 1) / 2.0;       // output normalised -> pixels: u = (x_n + 1) so
  const double sx = 2.0 / (W - 1), sy = 2.0 / (H - 1);  // input pixels -> normalised: x_n = x sx - 1
  const float theta[6] = {static_cast<float>(sx * a * so), static_cast<float>(sx * b * so),
                          static_cast<float>(sx * (a * so + b * so + c) - 1.0),
                          static_cast<float>(sy * d * so), static_cast<float>(sy * e * so),
                          static_cast<float>(sy * (d * so + e * so + f) - 1.0)};
  const auto th = torch::from_blob(const_cast<float*>(theta), {1, 2, 3}, torch::kFloat).to(device_);
  const auto img = upload(frame).permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat);
  // ATen's affine_grid / grid_sample (what torch.nn.functional calls):
  // interpolation 0 = bilinear, padding 0 = zeros.
  const auto grid = at::affine_grid_generator(th, {1, 3, size, size}, /*align_corners=*/true);
  const auto out = at::grid_sampler(img, grid, /*interpolation_mode=*/0, /*padding_mode=*/0, /*align_corners=*/true);
  return out.div_(255.0).clamp_(0.0, 1.0);
}

}  // namespace lp
