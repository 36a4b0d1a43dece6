#pragma once
// Small internal helpers around FFmpeg's C API (libav*): error text, quiet
// logging, file names as URLs. Not part of the public API of livepuppet_media.
extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <mutex>
#include <string>

namespace lp::av {

inline std::string error_text(int errnum) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(errnum, buf, sizeof buf);
  return buf;
}

// libavformat reads every name as a URL: "clip:1.mp4" would mean protocol
// "clip" and "pipe:x.mp4" standard output. The "file:" prefix makes a local
// path a file whatever it contains.
inline std::string file_url(const std::string& path) { return "file:" + path; }

// FFmpeg logs decoder warnings to stderr by default; our callers report errors
// themselves with file names, so only real errors from libav reach the console.
inline void quiet_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_FATAL);
  });
}

}  // namespace lp::av
