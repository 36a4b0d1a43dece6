#pragma once
// Face tracking on video: detect once, then follow the face frame to frame by
// predicting landmarks inside a box derived from the previous frame's
// landmarks (a ~1-2 ms shape-predictor call instead of a ~50-200 ms HOG scan).
//  - A sanity check (landmark spread relative to the face box, box-size jump,
//    eye-mouth proportion, box leaving the frame) drops the track and triggers
//    a full detection; every few frames a cheap HOG check of the tracked box
//    (FaceDetector::face_score) confirms a face is still there.
//  - Every redetect_interval frames a full detection runs, in a background
//    thread by default (on a copy of the frame), so a new, larger face is
//    picked up and a track that drifted onto a non-face is dropped.
//  - Landmarks are One-Euro smoothed (LandmarkSmoother); the raw ones are kept.
//
// Thread-safety: a FaceTracker is used by one thread (the engine thread). It
// may share its FaceDetector with other users: detect() serialises internally.
#include "vision/face.h"
#include "vision/face_detector.h"
#include "vision/landmark_smoother.h"

#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace lp {

struct TrackerOptions {
  // Options of the full detections. No automatic upsampling by default: on a
  // frame without a face it would quadruple the cost of every search, and a
  // video face is rarely under 80 px (set it, or upsample, for distant faces).
  DetectOptions detect = [] {
    DetectOptions d;
    d.upsample_if_none = false;
    return d;
  }();
  // While there is no face, a full detection runs every search_interval frames
  // (the first frame and the frame after reset() always detect). In background
  // mode the search runs asynchronously instead, one at a time.
  int search_interval = 3;
  int redetect_interval = 30;         // frames between confirmation detections; 0 = never
  bool background_redetect = true;    // false: run them synchronously (deterministic, offline)
  float max_box_jump = 0.35f;         // relative change of the box side that drops the track
  float min_spread_ratio = 0.65f;     // landmark spread / spread at detection outside
  float max_spread_ratio = 1.5f;      //   [min, max] drops the track
  int max_unconfirmed = 2;            // consecutive confirmations that find no face -> lost
  // Every verify_interval frames the tracked box is checked with
  // FaceDetector::face_score (~2-5 ms): a shape predictor always returns a
  // face-shaped answer, even on a wall, so this is what notices that the face
  // left. A score below min_face_score twice in a row (the second check runs
  // on the next frame) drops the track. 0 = never.
  int verify_interval = 8;
  float min_face_score = -0.5f;
  bool smoothing = true;              // One-Euro on the landmarks
  OneEuroParams smoothing_params = LandmarkSmoother::default_params();
};

enum class TrackStatus {
  Tracking,      // followed from the previous frame
  Detected,      // found by a full detection this frame
  NoFace,        // no face in this frame
  InvalidFrame,  // empty / unusable frame, or the model is not loaded
};
const char* to_string(TrackStatus s);

struct TrackResult {
  TrackStatus status = TrackStatus::NoFace;
  Face face;                  // smoothed landmarks (== raw when smoothing is off)
  Landmarks68 raw_landmarks;  // unsmoothed
  bool redetected = false;    // a full detection result was applied this frame
  bool switched_face = false; // that detection moved the track to another face
  double ms = 0.0;            // time spent in track() on the calling thread
  double detect_ms = 0.0;     // of that, in a synchronous full detection
  std::string message;        // why there is no face (NoFace / InvalidFrame)
  bool has_face() const { return status == TrackStatus::Tracking || status == TrackStatus::Detected; }
};

struct TrackerStats {
  long frames = 0;
  long detections = 0;            // full detections run (sync + background)
  long background_detections = 0;
  long lost = 0;                  // times a track was dropped by the sanity check
  long second_passes = 0;         // frames that needed a second landmark pass (fast motion)
  long verifications = 0;         // face_score checks of the tracked box
  double detect_ms_total = 0.0;   // wall time of all full detections (incl. background)
  double detect_cpu_ms_total = 0.0;  // CPU time of all full detections (incl. background)
  double background_detect_cpu_ms = 0.0;  // of that, on the background thread
};

class FaceTracker {
 public:
  explicit FaceTracker(std::shared_ptr<const FaceDetector> detector, TrackerOptions opts = {});
  ~FaceTracker();  // waits for a background detection in flight
  FaceTracker(const FaceTracker&) = delete;
  FaceTracker& operator=(const FaceTracker&) = delete;

  // Tracks the face in a BGR (or gray) frame captured at time t (seconds,
  // increasing; used by the smoother: a repeated or decreasing t counts as
  // 1/30 s after the previous frame). Never throws.
  TrackResult track(const cv::Mat& frame, double t);
  // Forget the track: the next frame runs a full detection.
  void reset();
  void set_options(const TrackerOptions& opts);
  const TrackerOptions& options() const { return opts_; }
  TrackerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TrackerOptions opts_;
};

}  // namespace lp
