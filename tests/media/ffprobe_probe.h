#pragma once
// What ffprobe (FFmpeg's own reader, as a user's player would) sees in a file:
// decoded video frames, frame rate, and the audio stream's duration.
#include <cstdint>
#include <string>

namespace lp::test {

struct ProbeInfo {
  bool ok = false;
  std::string error;            // ffprobe's complaint when !ok
  std::int64_t video_frames = 0;  // frames actually decoded (-count_frames)
  double fps = 0.0;             // r_frame_rate
  int width = 0, height = 0;
  std::string video_codec;
  bool has_audio = false;
  std::string audio_codec;
  double audio_duration_s = 0.0;  // last packet end - first packet start
  double video_duration_s() const { return fps > 0 ? double(video_frames) / fps : 0.0; }
};

// Runs ffprobe on `path`. ok=false when ffprobe is missing or finds no video.
ProbeInfo ffprobe(const std::string& path);

// Runs a shell command, returns its stdout (and the exit status in *status).
std::string run_command(const std::string& cmd, int* status = nullptr);

// Single-quotes a path for /bin/sh.
std::string shell_quote(const std::string& s);

// One value ffprobe reports, e.g. ffprobe_value(f, "a:0", "stream=start_time")
// or ffprobe_value(f, "", "format=format_name"); "" when absent.
std::string ffprobe_value(const std::string& path, const std::string& select_streams, const std::string& entry);

// Runs the ffmpeg CLI with `args` (after "-v error -y"). False when it fails or
// is missing; the tests that need it skip then.
bool run_ffmpeg(const std::string& args);

// Remuxes `src` with its index (moov) at the front (ffmpeg -c copy -movflags
// +faststart), as many phone/web videos are: cutting such a file leaves its
// first frames readable. False when the ffmpeg CLI is unavailable.
bool make_faststart_copy(const std::string& src, const std::string& dst);

}  // namespace lp::test
