#pragma once
// VideoWriter: H.264 (libx264) in a *fragmented* MP4 (or MOV, or Matroska,
// by the file's extension) through libavformat / libavcodec, with the driving
// video's audio copied in.
//
// Crash safety. The MP4 is written with an empty moov (no sample tables; it
// goes out with the first fragment, when the edit lists that make video start
// at 0 and keep a late audio start are known) and the frames in
// self-contained fragments (movflags empty_moov+default_base_moof+delay_moov,
// fragments cut by this writer: at every keyframe and at least every
// `fragment_seconds`, or after every frame when that is 0). Each cut fragment
// is flushed from FFmpeg's buffer to the kernel at once, so a SIGKILL or a
// crash leaves a playable file holding every frame counted by
// frames_written(). (A power cut additionally loses what the kernel had not
// yet put on disk; we do not fsync per fragment.)
//
// Write errors (disk full, file size limit, folder vanished) stop the writer
// with a message naming the file; nothing throws and the part already written
// stays playable (a writer that failed before its first frame reached the file
// removes the file: an empty one would block a retry). SIGXFSZ: a process that grows a file beyond `ulimit -f` is
// killed by SIGXFSZ by default; opening a writer sets SIGXFSZ to SIG_IGN
// (process-wide, once) so that write() fails with EFBIG instead and we can
// report it.
//
// Matroska has no moov to lose: its clusters are flushed the same way.
//
// Audio: with `audio_source` set, its first audio stream is stream-copied when
// players can play it in the container (MP4/MOV: AAC or MP3; Matroska: what
// it carries), otherwise decoded and re-encoded to AAC. Audio is cut at the video's end, so a partial render gets partial audio.
#include "media/frame_sink.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace lp {

// The muxer for an output name: "mp4" (.mp4, .m4v), "mov" (.mov), "matroska"
// (.mkv); "" for any other name (kVideoFormatsHint says what to use).
std::string video_container_for(const std::string& path);
extern const char* const kVideoFormatsHint;

// The largest frame that phones, browsers and desktop players decode: H.264
// level 5.1/5.2, at most 36,864 macroblocks (9.4 megapixels, e.g. 4096x2304
// or 3072x3072) and 8192 pixels a side. A bigger output (a 6000x6000
// portrait) is scaled down to fit, keeping its aspect, rather than written as
// a stream that most players refuse; size_note() says so. Sizes are even
// (yuv420p).
cv::Size h264_playable_size(int width, int height);

struct VideoWriterOptions {
  int width = 0;              // output size; odd sizes are rounded down to even (yuv420p), and
                              // sizes over h264_playable_size() scaled down to it
  int height = 0;
  int fps_num = 30;           // frame rate as a fraction
  int fps_den = 1;
  int crf = 20;               // x264 constant rate factor: 0 lossless .. 51 worst; ~18-23 is good
  std::string preset = "veryfast";  // x264 speed preset
  bool low_latency = false;   // x264 tune=zerolatency: no lookahead/B-frames, a packet per frame
  double keyframe_interval_s = 1.0;
  double fragment_seconds = 1.0;  // 0: a fragment per frame (live recording)
  std::string audio_source;   // a media file whose audio is copied in; empty: no audio
  int threads = 2;            // encoder threads (the machines we target are small)
};

class VideoWriter : public FrameSink {
 public:
  // Creates/overwrites `path` (use unique_output_path() to get a fresh name).
  // nullptr + `error` naming the file on failure (folder missing, not
  // writable, no libx264, bad options). A missing or silent audio source is
  // not an error: audio_note() says what happened.
  static std::unique_ptr<VideoWriter> open(const std::string& path, const VideoWriterOptions& options,
                                           std::string* error);
  ~VideoWriter() override;  // finish()es if needed
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Encodes one BGR (CV_8UC3) frame; a frame of another size is scaled to fit
  // the output size, keeping its aspect (black bars). pts is in frame units
  // (1/fps) and must increase; write(frame) uses the next one. False once the
  // writer has failed (see error()).
  bool write(const cv::Mat& bgr, std::int64_t pts) override;
  bool write(const cv::Mat& bgr);

  // Flushes the encoder, adds the rest of the audio, closes the file.
  // Idempotent. False if anything failed (error() says what).
  bool finish() override;

  bool failed() const override;
  std::string error() const override;
  std::int64_t frames_submitted() const;            // handed to write()
  std::int64_t frames_written() const override;     // in flushed fragments: survive a crash
  std::int64_t bytes_written() const override;      // file size as flushed
  std::string path() const override;
  std::string audio_note() const;                   // "none", "copied aac", "re-encoded pcm_s16le to aac", ...
  std::string size_note() const;                    // "" or why the frames are smaller than asked
  const VideoWriterOptions& options() const;

  struct Impl;

 private:
  explicit VideoWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lp
