#pragma once
// VideoSource: reads a driving video file frame by frame with FFmpeg (libav*),
// giving BGR frames with their index and timestamp, the frame rate and count,
// accurate seeking and optional looping. Frames come out as players show them:
// turned by the stream's display rotation (phone videos) and stretched to the
// display aspect of non-square pixels.
//
// A truncated or corrupt file never crashes and never yields garbage frames:
// frames the decoder flags as damaged, or a read error in the middle of the
// file ("partial file"), stop the stream with ReadStatus::Error and a message
// naming the file and the frame where decoding stopped. Every frame returned
// before that is a good one.
#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace lp {

struct VideoInfo {
  std::string path;
  int width = 0;     // as displayed: after the pixel aspect and the rotation below
  int height = 0;
  int rotation_cw = 0;  // the display rotation applied to every frame (0/90/180/270)
  int fps_num = 0;  // frame rate as a fraction (e.g. 30000/1001)
  int fps_den = 1;
  double fps = 0.0;
  std::int64_t frame_count = 0;  // from the container, else estimated from the duration
  double duration_s = 0.0;
  std::string video_codec;
  bool has_audio = false;
  std::string audio_codec;
};

struct VideoFrame {
  cv::Mat image;            // BGR CV_8UC3, a fresh buffer per frame (safe to hand to other threads)
  std::int64_t index = 0;   // 0-based frame number in the file
  double time_s = 0.0;      // presentation time from the start of the file
};

enum class ReadStatus { Frame, End, Error };

class VideoSource {
 public:
  // Opens `path`; on failure returns nullptr and sets `error` to a message
  // naming the file and the reason (missing, not a video, truncated MP4 whose
  // index (moov) is missing, no decoder, ...).
  static std::unique_ptr<VideoSource> open(const std::string& path, std::string* error);
  ~VideoSource();
  VideoSource(const VideoSource&) = delete;
  VideoSource& operator=(const VideoSource&) = delete;

  const VideoInfo& info() const;

  // Next frame. End: the file ended (and loop is off). Error: decoding stopped
  // early; error() names the file and frame. After End or Error, seek() resumes.
  ReadStatus read(VideoFrame& out);

  // The next read() returns frame `index` (clamped to the file). Decodes from
  // the preceding keyframe, so it is exact, not keyframe-snapped.
  bool seek(std::int64_t index);

  // When on, reaching the end restarts at frame 0 (errors still stop).
  void set_loop(bool loop);
  bool loop() const;

  // Index of the frame the next read() returns.
  std::int64_t position() const;
  const std::string& error() const;

  struct Impl;

 private:
  explicit VideoSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lp
