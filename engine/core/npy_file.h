#pragma once
// A small .npy (NumPy format 1.0/2.0/3.0) reader and writer for the parity
// fixtures: C order (Fortran-order files are reordered to C order on reading); dtypes <f4 (float32), |u1 (uint8), <i8 (int64).
//
// Hand-written because livepuppet_core may depend on LibTorch alone (the GPU box
// build has nothing else) and LibTorch has no .npy reader.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace lp {

class NpyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class NpyDtype { Float32, UInt8, Int64 };

struct NpyArray {
  NpyDtype dtype = NpyDtype::Float32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // raw little-endian bytes, C order

  int64_t numel() const;
  static size_t item_size(NpyDtype d);
  static const char* dtype_descr(NpyDtype d);  // "<f4", "|u1", "<i8"

  const float* f32() const;    // throws NpyError unless dtype is Float32
  const uint8_t* u8() const;   // throws unless UInt8
  const int64_t* i64() const;  // throws unless Int64
};

// Throws NpyError naming the file and the reason (not found, bad magic,
// unsupported dtype, truncated data).
NpyArray read_npy(const std::string& path);
void write_npy(const std::string& path, const NpyArray& array);

std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace lp
