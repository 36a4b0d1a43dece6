#include "media/image_loader.h"

#include "media/av_util.h"

extern "C" {
#include <libavformat/avformat.h>
}

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lp {

const char* to_string(MediaKind kind) {
  switch (kind) {
    case MediaKind::Image: return "image";
    case MediaKind::Video: return "video";
    default: return "unknown";
  }
}

const char* to_string(ImageError error) {
  switch (error) {
    case ImageError::None: return "ok";
    case ImageError::NotFound: return "not found";
    case ImageError::NotAFile: return "not a regular file";
    case ImageError::Unreadable: return "unreadable";
    case ImageError::Empty: return "empty (0 bytes)";
    case ImageError::NotAnImage: return "not an image";
    case ImageError::Unsupported: return "unsupported image format";
    case ImageError::Truncated: return "truncated";
    case ImageError::Corrupt: return "corrupt";
    case ImageError::TooLarge: return "dimensions too large";
  }
  return "?";
}

namespace {

using Bytes = std::vector<std::uint8_t>;

std::uint32_t be16(const Bytes& b, size_t i) { return (std::uint32_t(b[i]) << 8) | b[i + 1]; }
std::uint32_t be32(const Bytes& b, size_t i) {
  return (std::uint32_t(b[i]) << 24) | (std::uint32_t(b[i + 1]) << 16) | (std::uint32_t(b[i + 2]) << 8) | b[i + 3];
}
std::uint32_t le16(const Bytes& b, size_t i) { return b[i] | (std::uint32_t(b[i + 1]) << 8); }
std::uint32_t le24(const Bytes& b, size_t i) { return le16(b, i) | (std::uint32_t(b[i + 2]) << 16); }
std::uint32_t le32(const Bytes& b, size_t i) { return le16(b, i) | (le16(b, i + 2) << 16); }

bool starts_with(const Bytes& b, const char* magic, size_t n, size_t at = 0) {
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

// The image formats recognised by their magic bytes (all of them decodable by
// OpenCV's imgcodecs on Debian), or "" when none matches.
std::string image_format_of(const Bytes& b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "jpeg";
  if (starts_with(b, "\x89PNG\r\n\x1a\n", 8)) return "png";
  if (starts_with(b, "BM", 2) && b.size() >= 26) return "bmp";
  if (starts_with(b, "RIFF", 4) && starts_with(b, "WEBP", 4, 8)) return "webp";
  if (starts_with(b, "II*\0", 4) || starts_with(b, "MM\0*", 4)) return "tiff";
  if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && std::isspace(b[2])) return "pnm";
  return "";
}

// ISO-BMFF still-image brands (HEIC/HEIF/AVIF): images, but not decodable here.
bool is_heif_family(const Bytes& b) {
  if (!starts_with(b, "ftyp", 4, 4) || b.size() < 12) return false;
  std::string brand(reinterpret_cast<const char*>(b.data() + 8), 4);
  return brand == "heic" || brand == "heix" || brand == "mif1" || brand == "msf1" || brand == "avif" ||
         brand == "avis" || brand == "hevc";
}

void inspect_jpeg(const Bytes& b, ImageHeader& h) {
  // Walk the marker segments; after each SOS skip the entropy-coded data (in
  // which 0xFF is always followed by 0x00 or a restart marker) to the next
  // marker. A complete file reaches EOI; a cut one runs out of bytes first.
  size_t i = 2;
  bool seen_scan = false;
  while (true) {
    while (i < b.size() && b[i] != 0xFF) {
      if (!seen_scan) {
        h.error = ImageError::Corrupt;
        h.detail = "broken JPEG marker structure";
        return;
      }
      ++i;
    }
    while (i < b.size() && b[i] == 0xFF) ++i;  // fill bytes
    if (i >= b.size()) break;
    const std::uint8_t m = b[i++];
    if (m == 0xD9) return;  // EOI: complete
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // standalone markers
    if (i + 2 > b.size()) break;
    const size_t len = be16(b, i);
    if (len < 2) {
      h.error = ImageError::Corrupt;
      h.detail = "invalid JPEG segment length";
      return;
    }
    const bool sof = (m >= 0xC0 && m <= 0xCF) && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof && h.width == 0) {
      if (i + 7 > b.size()) break;
      h.height = int(be16(b, i + 3));
      h.width = int(be16(b, i + 5));
    }
    i += len;
    if (i > b.size()) break;
    if (m == 0xDA) {  // start of scan: skip entropy-coded data
      seen_scan = true;
      while (i + 1 < b.size()) {
        if (b[i] == 0xFF && b[i + 1] != 0x00 && !(b[i + 1] >= 0xD0 && b[i + 1] <= 0xD7)) break;
        ++i;
      }
      if (i + 1 >= b.size()) break;
    }
  }
  h.error = ImageError::Truncated;
  h.detail = "the JPEG data ends before its end-of-image marker (file cut short)";
}

void inspect_png(const Bytes& b, ImageHeader& h) {
  if (b.size() < 33 || !starts_with(b, "IHDR", 4, 12)) {
    h.error = b.size() < 33 ? ImageError::Truncated : ImageError::Corrupt;
    h.detail = "the PNG header (IHDR) is missing or incomplete";
    return;
  }
  const std::uint32_t w = be32(b, 16), hh = be32(b, 20);
  h.width = w > 0x7FFFFFFFu ? 0x7FFFFFFF : int(w);
  h.height = hh > 0x7FFFFFFFu ? 0x7FFFFFFF : int(hh);
  h.may_have_alpha = (b[25] & 4) != 0;  // colour types 4 (grey + alpha) and 6 (RGBA)
  size_t i = 8;
  while (i + 8 <= b.size()) {
    const std::uint32_t len = be32(b, i);
    if (len > 0x7FFFFFFFu) {
      h.error = ImageError::Corrupt;
      h.detail = "invalid PNG chunk length";
      return;
    }
    if (starts_with(b, "tRNS", 4, i + 4)) h.may_have_alpha = true;  // transparency of a palette or one colour
    const bool iend = starts_with(b, "IEND", 4, i + 4);
    i += 12 + size_t(len);
    if (i > b.size()) break;
    if (iend) return;
  }
  h.error = ImageError::Truncated;
  h.detail = "the PNG data ends before its IEND chunk (file cut short)";
}

void inspect_bmp(const Bytes& b, ImageHeader& h) {
  const std::uint32_t declared = le32(b, 2);
  const std::uint32_t dib = le32(b, 14);
  if (dib == 12) {
    h.width = int(le16(b, 18));
    h.height = int(le16(b, 20));
  } else {
    h.width = std::abs(int(le32(b, 18)));
    h.height = std::abs(int(le32(b, 22)));
  }
  if (declared > b.size()) {
    h.error = ImageError::Truncated;
    h.detail = "the BMP is shorter than its declared size (" + std::to_string(declared) + " bytes)";
  }
}

void inspect_webp(const Bytes& b, ImageHeader& h) {
  const std::uint64_t declared = std::uint64_t(le32(b, 4)) + 8;
  if (b.size() >= 30 && starts_with(b, "VP8X", 4, 12)) {
    h.width = int(le24(b, 24)) + 1;
    h.height = int(le24(b, 27)) + 1;
    h.may_have_alpha = (b[20] & 0x10) != 0;  // the extended header's alpha flag
  } else if (b.size() >= 25 && starts_with(b, "VP8L", 4, 12)) {
    const std::uint32_t bits = le32(b, 21);
    h.width = int(bits & 0x3FFF) + 1;
    h.height = int((bits >> 14) & 0x3FFF) + 1;
    h.may_have_alpha = ((bits >> 28) & 1) != 0;  // alpha_is_used
  } else if (b.size() >= 30 && starts_with(b, "VP8 ", 4, 12)) {
    h.width = int(le16(b, 26) & 0x3FFF);
    h.height = int(le16(b, 28) & 0x3FFF);
  }
  if (declared > b.size()) {
    h.error = ImageError::Truncated;
    h.detail = "the WebP is shorter than its declared RIFF size";
  }
}

void inspect_tiff(const Bytes& b, ImageHeader& h) {
  const bool le = b[0] == 'I';
  auto u16 = [&](size_t i) { return le ? le16(b, i) : be16(b, i); };
  auto u32 = [&](size_t i) { return le ? le32(b, i) : be32(b, i); };
  if (b.size() < 8) return;
  const size_t ifd = u32(4);
  if (ifd + 2 > b.size()) {
    h.error = ImageError::Truncated;
    h.detail = "the TIFF directory lies beyond the end of the file";
    return;
  }
  const size_t n = u16(ifd);
  for (size_t k = 0; k < n; ++k) {
    const size_t e = ifd + 2 + 12 * k;
    if (e + 12 > b.size()) break;
    const std::uint32_t tag = u16(e), type = u16(e + 2);
    const std::uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) h.width = int(std::min<std::uint32_t>(value, 0x7FFFFFFF));
    if (tag == 257) h.height = int(std::min<std::uint32_t>(value, 0x7FFFFFFF));
  }
}

void inspect_pnm(const Bytes& b, ImageHeader& h) {
  // "P6 <ws> width <ws> height ..." with '#' comments.
  size_t i = 2;
  long vals[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    while (i < b.size() && (std::isspace(b[i]) || b[i] == '#')) {
      if (b[i] == '#')
        while (i < b.size() && b[i] != '\n') ++i;
      else
        ++i;
    }
    long v = 0;
    bool any = false;
    while (i < b.size() && std::isdigit(b[i]) && v < 0x7FFFFFFF) {
      v = v * 10 + (b[i++] - '0');
      any = true;
    }
    if (!any) {
      h.error = ImageError::Corrupt;
      h.detail = "invalid PNM header";
      return;
    }
    vals[k] = v;
  }
  h.width = int(vals[0]);
  h.height = int(vals[1]);
}

std::string errno_reason(int err) {
  switch (err) {
    case EACCES:
    case EPERM: return "permission denied (cannot read the file)";
    case ENOENT: return "no such file";
    case EISDIR: return "is a folder, not a file";
    default: return std::strerror(err);
  }
}

// Is this (non-image) file a video FFmpeg can open? The format is probed from
// the content only (no file name) so a ".txt" cannot pose as FFmpeg's "tty"
// ANSI-art demuxer, and at least one real video stream must exist.
bool probe_video_file(const std::string& path, const Bytes& head, std::string* reason) {
  av::quiet_logging();
  Bytes padded(head);
  padded.resize(head.size() + AVPROBE_PADDING_SIZE, 0);
  AVProbeData pd{};
  pd.filename = "";
  pd.buf = padded.data();
  pd.buf_size = int(head.size());
  int score = 0;
  const AVInputFormat* fmt = av_probe_input_format3(&pd, 1, &score);
  if (!fmt || score < AVPROBE_SCORE_MAX / 4) {
    if (reason) *reason = "not an image or a video format (content not recognised)";
    return false;
  }
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, av::file_url(path).c_str(), fmt, nullptr) < 0) {
    if (reason) *reason = std::string("looks like ") + fmt->name + " but FFmpeg cannot open it";
    return false;
  }
  bool video = false;
  if (avformat_find_stream_info(ctx, nullptr) >= 0) {
    for (unsigned s = 0; s < ctx->nb_streams; ++s) {
      const AVStream* st = ctx->streams[s];
      if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC) &&
          st->codecpar->codec_id != AV_CODEC_ID_ANSI && st->codecpar->width > 0)
        video = true;
    }
  }
  avformat_close_input(&ctx);
  if (!video && reason) *reason = std::string("a ") + fmt->name + " file without a video stream";
  return video;
}

ImageLoadResult fail(ImageError e, const std::string& name, const std::string& why) {
  ImageLoadResult r;
  r.error = e;
  r.message = "'" + name + "': " + why;
  return r;
}

// A cut-out portrait (transparent background) would show whatever colour the
// file keeps under its transparent pixels, often black or garbage: it is
// flattened onto white, as viewers and browsers commonly show it. The colour
// decode (`bgr`) applies EXIF orientation and the unchanged decode does not;
// when their sizes differ the alpha cannot be matched and is left alone.
void flatten_transparency(const std::vector<std::uint8_t>& bytes, cv::Mat& bgr) {
  cv::Mat full;
  try {
    full = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception&) {
    return;
  }
  if (full.empty() || full.channels() != 4 || full.size() != bgr.size()) return;
  cv::Mat alpha;
  cv::extractChannel(full, alpha, 3);
  const double max_value = full.depth() == CV_16U ? 65535.0 : full.depth() == CV_8U ? 255.0 : 1.0;
  double lo = 0.0;
  cv::minMaxLoc(alpha, &lo);
  if (lo >= max_value) return;  // fully opaque
  alpha.convertTo(alpha, CV_32F, 1.0 / max_value);
  cv::Mat a3, colour, white(bgr.size(), CV_32FC3, cv::Scalar::all(255.0));
  cv::cvtColor(alpha, a3, cv::COLOR_GRAY2BGR);
  bgr.convertTo(colour, CV_32FC3);
  colour = colour.mul(a3) + white.mul(cv::Scalar::all(1.0) - a3);
  colour.convertTo(bgr, CV_8UC3);
}

}  // namespace

bool read_file_bytes(const std::string& path, std::vector<std::uint8_t>& out, std::string* error,
                     ImageError* error_kind) {
  auto set = [&](ImageError k, const std::string& why) {
    if (error) *error = "'" + path + "': " + why;
    if (error_kind) *error_kind = k;
    return false;
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return set(errno == ENOENT ? ImageError::NotFound : ImageError::Unreadable, errno_reason(errno));
  if (S_ISDIR(st.st_mode)) return set(ImageError::NotAFile, "is a folder, not a file");
  if (!S_ISREG(st.st_mode)) return set(ImageError::NotAFile, "is not a regular file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return set(ImageError::Unreadable, errno_reason(errno));
  out.clear();
  out.reserve(size_t(st.st_size));
  std::uint8_t buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return set(ImageError::Unreadable, std::string("read error: ") + std::strerror(err));
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  if (out.empty()) return set(ImageError::Empty, "the file is empty (0 bytes)");
  return true;
}

ImageHeader inspect_image_bytes(const std::vector<std::uint8_t>& b) {
  ImageHeader h;
  h.format = image_format_of(b);
  if (h.format == "jpeg") inspect_jpeg(b, h);
  else if (h.format == "png") inspect_png(b, h);
  else if (h.format == "bmp") {
    inspect_bmp(b, h);
    h.may_have_alpha = true;
  }
  else if (h.format == "webp") inspect_webp(b, h);
  else if (h.format == "tiff") {
    inspect_tiff(b, h);
    h.may_have_alpha = true;
  }
  else if (h.format == "pnm") inspect_pnm(b, h);
  return h;
}

MediaKind sniff_media(const std::string& path, std::string* reason, bool probe_video) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (reason) *reason = errno_reason(errno);
    return MediaKind::Unknown;
  }
  if (!S_ISREG(st.st_mode)) {
    if (reason) *reason = "not a regular file";
    return MediaKind::Unknown;
  }
  if (st.st_size == 0) {
    if (reason) *reason = "the file is empty (0 bytes)";
    return MediaKind::Unknown;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (reason) *reason = errno_reason(errno);
    return MediaKind::Unknown;
  }
  Bytes head(4096);
  const ssize_t n = ::read(fd, head.data(), head.size());
  ::close(fd);
  if (n <= 0) {
    if (reason) *reason = n < 0 ? errno_reason(errno) : "the file is empty (0 bytes)";
    return MediaKind::Unknown;
  }
  head.resize(size_t(n));
  if (!image_format_of(head).empty() || is_heif_family(head)) return MediaKind::Image;
  if (!probe_video) return MediaKind::Unknown;
  return probe_video_file(path, head, reason) ? MediaKind::Video : MediaKind::Unknown;
}

ImageLoadResult decode_image(const std::vector<std::uint8_t>& bytes, const std::string& name,
                             const ImageLoadOptions& options) {
  if (bytes.empty()) return fail(ImageError::Empty, name, "the file is empty (0 bytes)");
  ImageHeader h = inspect_image_bytes(bytes);
  if (h.format.empty()) {
    if (is_heif_family(bytes))
      return fail(ImageError::Unsupported, name, "HEIC/HEIF/AVIF images are not supported; convert it to JPEG or PNG");
    const size_t probe_n = std::min<size_t>(bytes.size(), 4096);
    Bytes head(bytes.begin(), bytes.begin() + long(probe_n));
    if (starts_with(head, "ftyp", 4, 4) || starts_with(head, "\x1a\x45\xdf\xa3", 4) ||
        (starts_with(head, "RIFF", 4) && starts_with(head, "AVI ", 4, 8)))
      return fail(ImageError::NotAnImage, name, "this is a video, not an image");
    return fail(ImageError::NotAnImage, name, "not an image (unrecognised content; JPEG, PNG, BMP, WebP, TIFF and PNM are supported)");
  }
  ImageLoadResult r;
  r.header = h;
  if (h.width > options.max_side || h.height > options.max_side) {
    r.error = ImageError::TooLarge;
    r.message = "'" + name + "': the " + h.format + " declares " + std::to_string(h.width) + "x" +
                std::to_string(h.height) + " pixels, above the limit of " + std::to_string(options.max_side) +
                " per side";
    return r;
  }
  if (h.error != ImageError::None) {
    r.error = h.error;
    r.message = "'" + name + "': " + std::string(to_string(h.error)) + " " + h.format + ": " + h.detail;
    return r;
  }
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(bytes, options.color ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    r.error = ImageError::Corrupt;
    r.message = "'" + name + "': the " + h.format + " decoder failed: " + e.what();
    return r;
  }
  if (decoded.empty()) {
    r.error = ImageError::Corrupt;
    r.message = "'" + name + "': corrupt " + h.format + " (the decoder could not read the pixel data)";
    return r;
  }
  if (decoded.cols > options.max_side || decoded.rows > options.max_side) {
    r.error = ImageError::TooLarge;
    r.message = "'" + name + "': " + std::to_string(decoded.cols) + "x" + std::to_string(decoded.rows) +
                " pixels, above the limit of " + std::to_string(options.max_side) + " per side";
    return r;
  }
  if (options.color && h.may_have_alpha) flatten_transparency(bytes, decoded);  // a second decode, only then
  r.image = std::move(decoded);
  return r;
}

ImageLoadResult load_image(const std::string& path, const ImageLoadOptions& options) {
  // A dropped multi-gigabyte video must not be read whole just to be refused:
  // look at the first bytes first.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    if (st.st_size > (std::int64_t(1) << 30))
      return fail(ImageError::TooLarge, path, "the file is larger than 1 GiB; not a usable portrait");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      Bytes head(64);
      const ssize_t n = ::read(fd, head.data(), head.size());
      ::close(fd);
      if (n > 0) {
        head.resize(size_t(n));
        if (image_format_of(head).empty()) return decode_image(head, path, options);
      }
    }
  }
  Bytes bytes;
  std::string error;
  ImageError kind = ImageError::None;
  if (!read_file_bytes(path, bytes, &error, &kind)) {
    ImageLoadResult r;
    r.error = kind;
    r.message = error;
    return r;
  }
  return decode_image(bytes, path, options);
}

}  // namespace lp
