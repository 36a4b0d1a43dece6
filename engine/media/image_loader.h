#pragma once
// Loading a portrait (or a driving image) from a file a person dropped or chose,
// with validation that turns every bad file into a clear message naming the
// file and the reason, never an exception or a crash:
//   missing, a folder, unreadable (permissions), 0 bytes, not an image (text,
//   a video), truncated or corrupt (a JPEG cut in half decodes "fine" with
//   cv::imread, grey bottom half and a libjpeg warning only, so the file's
//   structure is checked for its end marker first), absurd dimensions (read
//   from the header BEFORE decoding so a crafted 100000x100000 PNG never
//   allocates gigabytes).
#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lp {

enum class MediaKind { Unknown = 0, Image, Video };
const char* to_string(MediaKind kind);

// Cheap classification of a file by its content (not its extension), for
// drag-and-drop: images by their magic bytes, videos by FFmpeg's probe plus the
// presence of a video stream. `reason` (optional) says why a file is Unknown.
// `probe_video` false: only the first bytes are read (cheap enough for a UI
// thread); a file that is not an image is then Unknown, not probed by FFmpeg.
MediaKind sniff_media(const std::string& path, std::string* reason = nullptr, bool probe_video = true);

enum class ImageError {
  None = 0,
  NotFound,        // no such file
  NotAFile,        // a folder or a device
  Unreadable,      // exists but cannot be read (permissions, I/O error)
  Empty,           // 0 bytes
  NotAnImage,      // text, a video, an unknown format
  Unsupported,     // an image format OpenCV cannot decode (HEIC, AVIF, ...)
  Truncated,       // the file ends before the image does
  Corrupt,         // the structure is broken or the decoder rejects it
  TooLarge,        // declared dimensions above the limit
};
const char* to_string(ImageError error);

// What the file's header says, read without decoding pixels.
struct ImageHeader {
  std::string format;  // "jpeg", "png", "bmp", "webp", "tiff", "pnm"; empty if unknown
  int width = 0;       // 0 when the header does not say (decoder decides)
  int height = 0;
  bool may_have_alpha = false;  // PNG alpha or tRNS, WebP alpha flag; TIFF and BMP: true (not parsed)
  ImageError error = ImageError::None;  // Truncated / Corrupt found by the structure walk
  std::string detail;                   // why, when error != None
};

// Parses the header of an in-memory image file and walks its structure (JPEG
// markers up to EOI, PNG chunks up to IEND, RIFF/BMP sizes). Hand-written:
// neither OpenCV nor libav exposes "dimensions and completeness without decoding".
ImageHeader inspect_image_bytes(const std::vector<std::uint8_t>& bytes);

struct ImageLoadOptions {
  int max_side = 16384;  // either dimension above this is refused
  bool color = true;     // true: 3-channel BGR; false: keep the file's channels (alpha too)
};

struct ImageLoadResult {
  cv::Mat image;  // BGR (CV_8UC3) when color, empty on failure
  ImageError error = ImageError::None;
  std::string message;  // names the file and the reason; empty on success
  ImageHeader header;
  bool ok() const { return error == ImageError::None && !image.empty(); }
};

// Reads and validates `path`. Never throws.
ImageLoadResult load_image(const std::string& path, const ImageLoadOptions& options = {});

// Same validation for bytes already in memory; `name` is used in messages.
ImageLoadResult decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name,
                             const ImageLoadOptions& options = {});

// Reads a whole file into memory with errno-based messages naming the file.
// Returns false with `error` set (and `error_kind`) on failure.
bool read_file_bytes(const std::string& path, std::vector<std::uint8_t>& out, std::string* error,
                     ImageError* error_kind = nullptr);

}  // namespace lp
