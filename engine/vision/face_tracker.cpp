#include "vision/face_tracker.h"

#include "vision/crop_transform.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>

namespace lp {

const char* to_string(TrackStatus s) {
  switch (s) {
    case TrackStatus::Tracking: return "tracking";
    case TrackStatus::Detected: return "detected";
    case TrackStatus::NoFace: return "no face";
    case TrackStatus::InvalidFrame: return "invalid frame";
  }
  return "?";
}

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

cv::Point2d mean_point(const Landmarks68& lm) {
  cv::Point2d s(0, 0);
  for (const auto& p : lm) s += cv::Point2d(p);
  return s * (1.0 / kNumLandmarks);
}

// RMS distance of the landmarks from their mean: a rotation-invariant face size.
double spread(const Landmarks68& lm, const cv::Point2d& m) {
  double s = 0;
  for (const auto& p : lm) {
    const cv::Point2d d = cv::Point2d(p) - m;
    s += d.dot(d);
  }
  return std::sqrt(s / kNumLandmarks);
}

// Eye-to-mouth distance over the spread: a cheap "is this still a face" check
// (a predictor that lost the face collapses or stretches this proportion).
double shape_ratio(const Landmarks68& lm, double spr) {
  const FaceAnchors a = face_anchors(lm);
  return spr > 1e-6 ? cv::norm(a.lip - a.eyes_mid()) / spr : 0.0;
}

bool finite(const Landmarks68& lm) {
  for (const auto& p : lm)
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return false;
  return true;
}

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

// How a detector box sits relative to its landmarks: side = k * spread,
// centre = mean + offset * spread. Learned from each detection so the boxes fed
// to the shape predictor while tracking look like the detector's boxes it was
// trained on.
struct BoxModel {
  double k = 2.2, ox = 0.0, oy = -0.1;

  void learn(const Face& f, double blend) {
    const cv::Point2d m = mean_point(f.landmarks);
    const double s = spread(f.landmarks, m);
    if (!(s > 1e-3)) return;
    const double nk = std::sqrt(static_cast<double>(f.box.area())) / s;
    const double nox = (f.box.x + f.box.width / 2.0 - m.x) / s;
    const double noy = (f.box.y + f.box.height / 2.0 - m.y) / s;
    k += blend * (nk - k);
    ox += blend * (nox - ox);
    oy += blend * (noy - oy);
  }
  cv::Rect2f box(const Landmarks68& lm) const {
    const cv::Point2d m = mean_point(lm);
    const double s = spread(lm, m);
    const double side = k * s;
    const double cx = m.x + ox * s, cy = m.y + oy * s;
    return cv::Rect2f(static_cast<float>(cx - side / 2), static_cast<float>(cy - side / 2),
                      static_cast<float>(side), static_cast<float>(side));
  }
};

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

}  // namespace

struct FaceTracker::Impl {
  std::shared_ptr<const FaceDetector> det;
  // Own HOG state for the per-frame verification, so it never waits for a
  // background detection holding the shared detector's lock.
  std::unique_ptr<FaceDetector> verifier;
  long last_verify_frame = 0;
  int failed_verifications = 0;
  LandmarkSmoother smoother;
  BoxModel model;

  bool has_track = false;
  bool ever_detected = false;
  Landmarks68 raw{};
  cv::Rect2f box;
  float confidence = 0.f;
  double ref_shape = 0.0;  // shape_ratio at the last detection
  cv::Point2f velocity;  // box centre motion over the last tracked frame
  bool has_velocity = false;
  long frame = 0;
  long last_detect_frame = -1000000;
  int unconfirmed = 0;
  std::string last_search_message;
  double last_t = 0.0;
  bool has_last_t = false;
  long last_failed_search = -1000000;  // frame of the last full detection that found nothing

  std::future<DetectionResult> pending;
  TrackerStats stats;

  void start_track(const Face& f, const cv::Mat& frame_img, bool repredict) {
    model.learn(f, 1.0);
    raw = f.landmarks;
    confidence = f.confidence;
    if (repredict) {
      // The detection came from an older frame: bring the landmarks onto this
      // one (two passes converge on a face that moved a little meanwhile).
      for (int pass = 0; pass < 2; ++pass) {
        Landmarks68 lm;
        if (det->predict_landmarks(frame_img, model.box(raw), lm) && finite(lm)) raw = lm;
      }
    }
    const cv::Point2d m = mean_point(raw);
    ref_shape = shape_ratio(raw, spread(raw, m));
    box = model.box(raw);
    has_track = true;
    failed_verifications = 0;
    last_verify_frame = frame;  // just detected: no need to verify right away
    has_velocity = false;
    ever_detected = true;
    unconfirmed = 0;
    smoother.reset();
  }

  // Follows the face into this frame. False = the sanity check failed.
  bool follow(const cv::Mat& img, const TrackerOptions& o) {
    // Constant-velocity prediction of the box (half the last frame's motion, so
    // a stop does not overshoot): the predictor then starts close to the face.
    cv::Rect2f in = model.box(raw);
    if (has_velocity) {
      in.x += 0.5f * velocity.x;
      in.y += 0.5f * velocity.y;
    }
    Landmarks68 lm;
    if (!det->predict_landmarks(img, in, lm) || !finite(lm)) return false;
    cv::Rect2f out = model.box(lm);
    // Fast motion: the face moved far within the box; predict once more from
    // the corrected box.
    if (cv::norm(centre(out) - centre(in)) > 0.12 * in.width) {
      ++stats.second_passes;
      Landmarks68 lm2;
      if (det->predict_landmarks(img, out, lm2) && finite(lm2)) {
        lm = lm2;
        out = model.box(lm);
      }
    }
    const double expected_spread = in.width / model.k;
    const cv::Point2d m = mean_point(lm);
    const double s = spread(lm, m);
    const double spread_ratio = s / expected_spread;
    const double jump = std::abs(out.width / in.width - 1.0);
    const double shape = shape_ratio(lm, s);
    const cv::Point2f c = centre(out);
    const bool inside = c.x >= 0 && c.y >= 0 && c.x < img.cols && c.y < img.rows;
    const bool shape_ok = ref_shape <= 0 || (shape > 0.6 * ref_shape && shape < 1.6 * ref_shape);
    if (spread_ratio < o.min_spread_ratio || spread_ratio > o.max_spread_ratio || jump > o.max_box_jump ||
        !inside || !shape_ok || out.width < 8.f) {
      return false;
    }
    velocity = centre(out) - centre(box);
    has_velocity = true;
    raw = lm;
    box = out;
    return true;
  }

  void account(const DetectionResult& r, bool background) {
    ++stats.detections;
    if (background) ++stats.background_detections;
    stats.detect_ms_total += r.detect_ms + r.landmarks_ms;
    stats.detect_cpu_ms_total += r.cpu_ms;
    if (background) stats.background_detect_cpu_ms += r.cpu_ms;
  }

  // A full detection (of this or an older frame) arrived while tracking.
  // Returns true when the track moved to another face.
  bool confirm(const DetectionResult& r, const cv::Mat& img, const TrackerOptions& o) {
    if (!r.ok()) {
      if (++unconfirmed >= o.max_unconfirmed) {
        has_track = false;
        ++stats.lost;
      }
      return false;
    }
    const Face* match = nullptr;
    for (const Face& f : r.faces) {
      if (iou(f.box, box) > 0.3f) {
        match = &f;
        break;
      }
    }
    const Face& largest = r.faces.front();
    const bool larger_elsewhere = match != &largest && largest.box.area() > 1.5f * box.area();
    if (match && !larger_elsewhere) {
      unconfirmed = 0;
      confidence = match->confidence;
      model.learn(*match, 0.3);
      return false;
    }
    if (larger_elsewhere || ++unconfirmed >= o.max_unconfirmed) {
      start_track(largest, img, true);
      return true;
    }
    return false;
  }
};

FaceTracker::FaceTracker(std::shared_ptr<const FaceDetector> detector, TrackerOptions opts)
    : impl_(std::make_unique<Impl>()), opts_(std::move(opts)) {
  impl_->det = std::move(detector);
  if (impl_->det && impl_->det->ready()) impl_->verifier = impl_->det->clone();
  impl_->smoother.set_params(opts_.smoothing_params);
}

FaceTracker::~FaceTracker() {
  if (impl_ && impl_->pending.valid()) impl_->pending.wait();
}

void FaceTracker::reset() {
  if (impl_->pending.valid()) impl_->pending.wait();
  impl_->pending = {};
  impl_->has_track = false;
  impl_->ever_detected = false;
  impl_->failed_verifications = 0;
  impl_->last_failed_search = -1000000;
  impl_->unconfirmed = 0;
  impl_->last_detect_frame = -1000000;
  impl_->smoother.reset();
}

void FaceTracker::set_options(const TrackerOptions& opts) {
  opts_ = opts;
  impl_->smoother.set_params(opts_.smoothing_params);
}

TrackerStats FaceTracker::stats() const { return impl_->stats; }

TrackResult FaceTracker::track(const cv::Mat& frame, double t) {
  const auto t0 = std::chrono::steady_clock::now();
  Impl& s = *impl_;
  TrackResult res;
  ++s.stats.frames;
  const long idx = s.frame++;
  // The smoother needs increasing timestamps; a caller that repeats or omits
  // them (t = 0 every frame) gets a nominal 30 fps clock instead of frozen
  // landmarks.
  const double ts = (s.has_last_t && !(t > s.last_t)) ? s.last_t + 1.0 / 30.0 : t;
  s.last_t = ts;
  s.has_last_t = true;

  if (!s.det || !s.det->ready()) {
    res.status = TrackStatus::InvalidFrame;
    res.message = s.det ? s.det->load_error() : "no face detector";
    return res;
  }
  if (frame.empty() || frame.cols < 16 || frame.rows < 16 || frame.depth() != CV_8U) {
    res.status = TrackStatus::InvalidFrame;
    res.message = "empty or unusable video frame";
    res.ms = ms_since(t0);
    return res;
  }

  try {
    // 1. A background detection finished: confirm, switch, or (re)start.
    if (s.pending.valid() &&
        s.pending.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      DetectionResult r = s.pending.get();
      s.account(r, true);
      if (s.has_track) {
        res.switched_face = s.confirm(r, frame, opts_);
        res.redetected = true;
      } else if (r.ok()) {
        s.start_track(r.largest(), frame, true);
        res.redetected = true;
        res.status = TrackStatus::Detected;
      }
    }

    // 2. Follow the existing track.
    bool tracked_now = false;
    if (s.has_track && !res.switched_face && res.status != TrackStatus::Detected) {
      bool ok = s.follow(frame, opts_);
      // Is it still a face? (every verify_interval frames, and on the frame
      // after a failed check)
      if (ok && s.verifier && opts_.verify_interval > 0 &&
          (s.failed_verifications > 0 || idx - s.last_verify_frame >= opts_.verify_interval)) {
        s.last_verify_frame = idx;
        ++s.stats.verifications;
        if (s.verifier->face_score(frame, s.box) < opts_.min_face_score) {
          if (++s.failed_verifications >= 2) ok = false;
        } else {
          s.failed_verifications = 0;
        }
      }
      if (ok) {
        tracked_now = true;
        res.status = TrackStatus::Tracking;
      } else {
        s.has_track = false;
        ++s.stats.lost;
        s.smoother.reset();
      }
    } else if (s.has_track) {
      tracked_now = true;
      if (res.status != TrackStatus::Detected) res.status = TrackStatus::Detected;
    }

    // 3. No track: full detection, synchronously unless a background search is
    // allowed (only after a track was lost, so the first frame always answers).
    if (!s.has_track) {
      const bool async = opts_.background_redetect && s.ever_detected;
      if (async) {
        if (!s.pending.valid()) {
          auto det = s.det;
          cv::Mat copy = frame.clone();
          DetectOptions dopt = opts_.detect;
          s.pending = std::async(std::launch::async, [det, copy, dopt] { return det->detect(copy, dopt); });
          s.last_detect_frame = idx;
        }
        res.status = TrackStatus::NoFace;
        res.message = "face lost; searching";
      } else if (opts_.search_interval > 1 && idx - s.last_failed_search < opts_.search_interval) {
        res.status = TrackStatus::NoFace;
        res.message = s.last_search_message.empty() ? "no face in view" : s.last_search_message;
      } else {
        const auto td = std::chrono::steady_clock::now();
        DetectionResult r = s.det->detect(frame, opts_.detect);
        res.detect_ms = ms_since(td);
        s.account(r, false);
        s.last_detect_frame = idx;
        s.last_search_message = r.status == DetectStatus::NoFace ? "no face in the frame" : r.message;
        res.redetected = true;
        if (r.ok()) {
          s.start_track(r.largest(), frame, false);
          res.status = TrackStatus::Detected;
          tracked_now = true;
        } else {
          s.last_failed_search = idx;
          res.status = r.status == DetectStatus::NoFace ? TrackStatus::NoFace : TrackStatus::InvalidFrame;
          res.message = s.last_search_message;
        }
      }
    } else if (opts_.redetect_interval > 0 && idx - s.last_detect_frame >= opts_.redetect_interval &&
               !res.redetected) {
      // 4. Periodic confirmation detection.
      s.last_detect_frame = idx;
      if (opts_.background_redetect) {
        if (!s.pending.valid()) {
          auto det = s.det;
          cv::Mat copy = frame.clone();
          DetectOptions dopt = opts_.detect;
          s.pending = std::async(std::launch::async, [det, copy, dopt] { return det->detect(copy, dopt); });
        }
      } else {
        const auto td = std::chrono::steady_clock::now();
        DetectionResult r = s.det->detect(frame, opts_.detect);
        res.detect_ms = ms_since(td);
        s.account(r, false);
        res.redetected = true;
        res.switched_face = s.confirm(r, frame, opts_);
        if (!s.has_track) {
          tracked_now = false;
          res.status = TrackStatus::NoFace;
          res.message = "face lost (not confirmed by detection)";
        } else if (res.switched_face) {
          res.status = TrackStatus::Detected;
        }
      }
    }

    if (tracked_now && s.has_track) {
      res.raw_landmarks = s.raw;
      res.face.box = s.box;
      res.face.confidence = s.confidence;
      res.face.index = 0;
      res.face.landmarks = opts_.smoothing ? s.smoother.smooth(s.raw, ts, s.box.width) : s.raw;
    }
  } catch (const std::exception& e) {
    res = TrackResult{};
    res.status = TrackStatus::InvalidFrame;
    res.message = std::string("face tracking failed: ") + e.what();
    s.has_track = false;
  }
  res.ms = ms_since(t0);
  return res;
}

}  // namespace lp
