#pragma once
// Live recording from the GUI (record button, Ctrl+R): the composited output
// of every displayed engine frame goes to a media Recorder, which encodes on
// its own thread behind a bounded queue (frames dropped visibly, never a stall).
#include "media/recorder.h"
#include "session/settings.h"

#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace lp {

class RecordingController {
 public:
  // Starts a recording of frames of `size` into prefs.output_folder (default
  // ~/Videos/LivePuppet). Returns "" or an error message naming the folder/file.
  std::string start(const RecordingPrefs& prefs, cv::Size size);
  // After a start: "" or what the user should know about the file (frames
  // too big for players are recorded smaller: h264_playable_size()).
  const std::string& note() const { return note_; }
  // Stops and finishes the file; returns a line for the UI ("Saved ... (N frames)").
  std::string stop();
  bool recording() const { return recorder_ != nullptr; }
  // Queues one output frame (never blocks). When the recorder failed (disk
  // full, ...) it is stopped and the error returned once; else "".
  std::string push(const cv::Mat& bgr, std::int64_t capture_ns);
  RecorderStats stats() const;

  static std::string default_folder();

 private:
  std::unique_ptr<Recorder> recorder_;
  std::string note_;
};

}  // namespace lp
