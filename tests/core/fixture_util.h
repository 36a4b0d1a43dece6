#pragma once
// Loads parity-fixture arrays as tensors for the core tests.
#include <torch/script.h>

#include <cstring>
#include <string>

#include "core/keypoints.h"
#include "core/npy_file.h"
#include "test_support.h"

namespace lp::test {

inline torch::Tensor fixture_tensor(const std::string& name, const std::string& fixture = "parity_seed1") {
  const auto a = lp::read_npy(shared_path("liveportrait/" + fixture + "/" + name + ".npy").string());
  const auto dtype = a.dtype == NpyDtype::Float32 ? torch::kFloat : a.dtype == NpyDtype::UInt8 ? torch::kUInt8
                                                                                                 : torch::kLong;
  auto t = torch::empty(a.shape, dtype);
  std::memcpy(t.data_ptr(), a.data.data(), a.data.size());
  return t;
}

inline lp::RawMotion fixture_raw_motion(const std::string& tag) {
  lp::RawMotion r;
  r.pitch = fixture_tensor("M_" + tag + "_pitch");
  r.yaw = fixture_tensor("M_" + tag + "_yaw");
  r.roll = fixture_tensor("M_" + tag + "_roll");
  r.t = fixture_tensor("M_" + tag + "_t");
  r.exp = fixture_tensor("M_" + tag + "_exp");
  r.scale = fixture_tensor("M_" + tag + "_scale");
  r.kp = fixture_tensor("M_" + tag + "_kp");
  return r;
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat).reshape(b.sizes()) - b.to(torch::kFloat)).abs().max().item<double>();
}

}  // namespace lp::test
