#pragma once
// Recorder: live recording on its own thread behind a bounded queue.
//
// push() never blocks the caller (the UI / engine thread): it copies the frame
// into the queue, or drops it and counts the drop when the encoder has fallen
// `queue_capacity` frames behind, so memory stays bounded by
// queue_capacity frames. Frames are placed on the output's constant frame
// rate grid by their capture time, so the recording plays in real time even
// when frames were dropped (the gap holds the previous frame); frames arriving
// faster than the output rate are skipped (counted apart from drops).
//
// A write error (disk full, size limit, folder gone) stops the recording:
// state() becomes Failed with the sink's message; the file written so far
// stays playable; push() keeps returning without blocking.
#include "media/frame_sink.h"
#include "media/video_writer.h"

#include <opencv2/core.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace lp {

enum class RecorderState { Recording, Stopped, Failed };
const char* to_string(RecorderState state);

struct RecorderOptions {
  std::size_t queue_capacity = 8;  // frames waiting for the encoder, at most
  double fps = 30.0;               // output frame rate (must match the sink's)
  bool use_timestamps = true;      // place frames by capture time (live); false: one after another
};

// What the UI's record button needs (Settings: output folder, CRF, frame rate).
struct RecordingSettings {
  std::string folder;                 // created if missing
  std::string stem = "livepuppet";    // e.g. timestamped_stem("livepuppet")
  int width = 0, height = 0;          // the output's resolution (paste-back result or crop)
  double fps = 30.0;
  int crf = 20;
  std::string preset = "veryfast";    // "ultrafast" on a busy CPU
  std::size_t queue_capacity = 8;
};

struct RecorderStats {
  RecorderState state = RecorderState::Recording;
  std::string error;              // why it failed, naming the file
  std::string path;
  double elapsed_s = 0.0;         // since start (frozen at stop)
  std::int64_t frames_pushed = 0;   // push() calls
  std::int64_t frames_encoded = 0;  // handed to the sink
  std::int64_t frames_written = 0;  // durably in the file (survive a crash)
  std::int64_t frames_dropped = 0;  // queue full: the encoder fell behind
  std::int64_t frames_skipped = 0;  // faster than the output frame rate
  std::int64_t file_bytes = 0;
  std::size_t queue_depth = 0;
  std::size_t max_queue_depth = 0;  // never above queue_capacity
};

class Recorder {
 public:
  // Records into `sink` (owned). Starts the encoding thread at once.
  Recorder(std::unique_ptr<FrameSink> sink, const RecorderOptions& options);
  ~Recorder();  // stop()
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // The live recording of the app: a fragmented MP4 in settings.folder named
  // "<stem>.mp4" (or -2, -3..., never overwriting; the folder is created),
  // low-latency x264 with a fragment per frame. nullptr + error naming the file.
  // `note` (optional): the writer's size_note() ("" when the frames keep their size).
  static std::unique_ptr<Recorder> to_file(const RecordingSettings& settings, std::string* error,
                                           std::string* note = nullptr);

  // Queues a copy of `bgr` captured at `capture_ns` (steady clock; 0 = now).
  // Never blocks on the encoder. Returns false when the frame was not queued
  // (dropped, skipped, or the recorder is stopped/failed).
  bool push(const cv::Mat& bgr, std::int64_t capture_ns = 0);

  // Encodes what is queued, finishes the file, joins the thread. Idempotent.
  RecorderStats stop();

  RecorderStats stats() const;
  RecorderState state() const;

 private:
  struct Item {
    cv::Mat image;
    std::int64_t pts;
  };
  void run();

  std::unique_ptr<FrameSink> sink_;
  RecorderOptions opt_;
  std::thread worker_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  RecorderStats stats_;
  std::int64_t start_ns_ = 0;
  std::int64_t stop_ns_ = 0;
  std::int64_t last_pts_ = -1;
};

}  // namespace lp
