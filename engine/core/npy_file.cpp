#include "core/npy_file.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace lp {

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

size_t NpyArray::item_size(NpyDtype d) {
  switch (d) {
    case NpyDtype::Float32: return 4;
    case NpyDtype::UInt8: return 1;
    case NpyDtype::Int64: return 8;
  }
  return 1;
}

const char* NpyArray::dtype_descr(NpyDtype d) {
  switch (d) {
    case NpyDtype::Float32: return "<f4";
    case NpyDtype::UInt8: return "|u1";
    case NpyDtype::Int64: return "<i8";
  }
  return "?";
}

const float* NpyArray::f32() const {
  if (dtype != NpyDtype::Float32) throw NpyError("array is not float32");
  return reinterpret_cast<const float*>(data.data());
}
const uint8_t* NpyArray::u8() const {
  if (dtype != NpyDtype::UInt8) throw NpyError("array is not uint8");
  return data.data();
}
const int64_t* NpyArray::i64() const {
  if (dtype != NpyDtype::Int64) throw NpyError("array is not int64");
  return reinterpret_cast<const int64_t*>(data.data());
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

// Value of `'key': value` in the header dict, as raw text up to the next ',' or '}'
// (or the matching ')' for the shape tuple).
std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) throw NpyError(path + ": header has no '" + key + "' field");
  size_t colon = header.find(':', k);
  if (colon == std::string::npos) throw NpyError(path + ": malformed header");
  size_t start = colon + 1;
  while (start < header.size() && header[start] == ' ') ++start;
  size_t end;
  if (start < header.size() && header[start] == '(') {
    end = header.find(')', start);
    if (end == std::string::npos) throw NpyError(path + ": malformed shape in header");
    ++end;
  } else {
    end = header.find_first_of(",}", start);
    if (end == std::string::npos) throw NpyError(path + ": malformed header");
  }
  return header.substr(start, end - start);
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NpyError(path + ": cannot open file");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw NpyError(path + ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(magic[6]);
  uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw NpyError(path + ": truncated header");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw NpyError(path + ": truncated header");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    throw NpyError(path + ": unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) throw NpyError(path + ": header too large");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw NpyError(path + ": truncated header");

  NpyArray a;
  std::string descr = header_field(header, "descr", path);
  if (descr.find("<f4") != std::string::npos) a.dtype = NpyDtype::Float32;
  else if (descr.find("|u1") != std::string::npos) a.dtype = NpyDtype::UInt8;
  else if (descr.find("<i8") != std::string::npos) a.dtype = NpyDtype::Int64;
  else throw NpyError(path + ": unsupported dtype " + descr + " (supported: <f4, |u1, <i8)");
  const bool fortran = header_field(header, "fortran_order", path).find("True") != std::string::npos;

  std::string shape = header_field(header, "shape", path);
  std::string num;
  for (char c : shape) {
    if (c >= '0' && c <= '9') {
      num += c;
    } else if (!num.empty()) {
      a.shape.push_back(std::stoll(num));
      num.clear();
    }
  }
  if (!num.empty()) a.shape.push_back(std::stoll(num));

  const size_t bytes = static_cast<size_t>(a.numel()) * NpyArray::item_size(a.dtype);
  a.data.resize(bytes);
  if (bytes && !in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(bytes)))
    throw NpyError(path + ": truncated data (expected " + std::to_string(bytes) + " bytes for shape " +
                   shape_to_string(a.shape) + ")");
  if (fortran && a.shape.size() > 1) {
    // Column-major on disk (numpy writes transposed views this way): reorder to C order.
    const size_t n = static_cast<size_t>(a.numel()), item = NpyArray::item_size(a.dtype), nd = a.shape.size();
    std::vector<uint8_t> c_order(a.data.size());
    std::vector<int64_t> idx(nd, 0), fstride(nd, 1);
    for (size_t d = 1; d < nd; ++d) fstride[d] = fstride[d - 1] * a.shape[d - 1];
    for (size_t i = 0; i < n; ++i) {
      int64_t off = 0;
      for (size_t d = 0; d < nd; ++d) off += idx[d] * fstride[d];
      std::memcpy(&c_order[i * item], &a.data[static_cast<size_t>(off) * item], item);
      for (size_t d = nd; d-- > 0;) {  // advance the C-order multi-index
        if (++idx[d] < a.shape[d]) break;
        idx[d] = 0;
      }
    }
    a.data.swap(c_order);
  }
  return a;
}

void write_npy(const std::string& path, const NpyArray& a) {
  if (a.data.size() != static_cast<size_t>(a.numel()) * NpyArray::item_size(a.dtype))
    throw NpyError(path + ": data size does not match shape " + shape_to_string(a.shape));
  std::ostringstream h;
  h << "{'descr': '" << NpyArray::dtype_descr(a.dtype) << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i) h << a.shape[i] << (a.shape.size() == 1 || i + 1 < a.shape.size() ? "," : "");
  h << "), }";
  std::string header = h.str();
  // Pad with spaces so that the data starts at a multiple of 64 bytes, newline-terminated.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw NpyError(path + ": cannot open for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char lb[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  out.write(lb, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(a.data.data()), static_cast<std::streamsize>(a.data.size()));
  if (!out) throw NpyError(path + ": write failed");
}

}  // namespace lp
