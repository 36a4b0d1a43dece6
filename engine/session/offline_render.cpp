#include "offline_render.h"

#include "compose.h"
#include "engine_factory.h"
#include "media/image_loader.h"
#include "media/motion_file.h"
#include "media/video_source.h"
#include "media/video_writer.h"
#include "vision/face_detector.h"
#include "vision/face_tracker.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <memory>

namespace lp {

namespace {

std::string name_of(const std::string& path) { return std::filesystem::path(path).filename().string(); }

bool has_ext(const std::string& path, std::initializer_list<const char*> exts) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  for (const char* x : exts)
    if (e == x) return true;
  return false;
}

// Where driving frames come from: a video, one image, a motion template or
// the idle motion. Each yields DrivingSamples in order.
class DrivingFeed {
 public:
  virtual ~DrivingFeed() = default;
  // false at the end; `error` set when the input stopped early.
  virtual bool next(DrivingSample& out, std::string& error) = 0;
  virtual std::int64_t total() const = 0;
  virtual double fps() const = 0;
  virtual std::string audio_source() const { return {}; }
};

class TrackedFrames : public DrivingFeed {
 public:
  TrackedFrames(std::shared_ptr<const FaceDetector> det) {
    TrackerOptions o;
    o.background_redetect = false;  // offline: deterministic, every frame the same way
    tracker_ = std::make_unique<FaceTracker>(std::move(det), o);
  }

 protected:
  void track(DrivingSample& d) {
    TrackResult tr = tracker_->track(d.bgr, d.time_s);
    if (tr.has_face()) {
      d.face = tr.face;
      d.openness = compute_openness(tr.face.landmarks);
    }
  }
  std::unique_ptr<FaceTracker> tracker_;
};

class VideoFeed : public TrackedFrames {
 public:
  VideoFeed(std::unique_ptr<VideoSource> v, std::shared_ptr<const FaceDetector> det, std::string path)
      : TrackedFrames(std::move(det)), video_(std::move(v)), path_(std::move(path)) {}
  bool next(DrivingSample& d, std::string& error) override {
    VideoFrame f;
    ReadStatus s = video_->read(f);
    if (s == ReadStatus::End) return false;
    if (s == ReadStatus::Error) {
      error = video_->error();
      return false;
    }
    d = DrivingSample{};
    d.bgr = std::move(f.image);
    d.seq = static_cast<std::uint64_t>(f.index);
    d.time_s = static_cast<double>(f.index) / fps();
    d.new_stream = f.index == 0;
    track(d);
    return true;
  }
  std::int64_t total() const override { return video_->info().frame_count; }
  double fps() const override { return video_->info().fps > 0 ? video_->info().fps : 30.0; }
  std::string audio_source() const override { return video_->info().has_audio ? path_ : std::string(); }

 private:
  std::unique_ptr<VideoSource> video_;
  std::string path_;
};

class ImageFeed : public TrackedFrames {
 public:
  ImageFeed(cv::Mat img, std::shared_ptr<const FaceDetector> det) : TrackedFrames(std::move(det)), img_(std::move(img)) {}
  bool next(DrivingSample& d, std::string&) override {
    if (done_) return false;
    done_ = true;
    d = DrivingSample{};
    d.bgr = img_;
    d.new_stream = true;
    track(d);
    return true;
  }
  std::int64_t total() const override { return 1; }
  double fps() const override { return 30.0; }

 private:
  cv::Mat img_;
  bool done_ = false;
};

// A motion template replays the saved landmarks and ratios: the engines see
// the same DrivingSample as when the video was rendered.
class MotionFeed : public DrivingFeed {
 public:
  explicit MotionFeed(MotionClip clip) : clip_(std::move(clip)) {}
  bool next(DrivingSample& d, std::string& error) override {
    if (i_ >= clip_.frames.size()) return false;
    const MotionFrame& m = clip_.frames[i_];
    d = DrivingSample{};
    d.seq = i_;
    d.time_s = m.time_s;
    d.new_stream = i_ == 0;
    d.motion = m.keypoints;
    if (m.eye_ratio) {
      d.openness.left_eye = (*m.eye_ratio)[0];
      d.openness.right_eye = (*m.eye_ratio)[1];
    }
    if (m.lip_ratio) d.openness.lip = *m.lip_ratio;
    if (m.landmarks) {
      if (m.landmarks->size() != static_cast<size_t>(kNumLandmarks)) {
        error = "motion frame " + std::to_string(m.index) + " has " + std::to_string(m.landmarks->size()) +
                " landmarks, expected 68";
        return false;
      }
      Face f;
      std::copy(m.landmarks->begin(), m.landmarks->end(), f.landmarks.begin());
      f.box = cv::boundingRect(*m.landmarks);
      d.face = f;
      d.openness = compute_openness(f.landmarks);
    }
    ++i_;
    return true;
  }
  std::int64_t total() const override { return static_cast<std::int64_t>(clip_.frames.size()); }
  double fps() const override { return clip_.fps > 0 ? clip_.fps : 30.0; }

 private:
  MotionClip clip_;
  size_t i_ = 0;
};

class IdleFeed : public DrivingFeed {
 public:
  IdleFeed(double seconds, double fps) : n_(static_cast<std::int64_t>(seconds * fps)), fps_(fps) {}
  bool next(DrivingSample& d, std::string&) override {
    if (i_ >= n_) return false;
    d = DrivingSample{};
    d.seq = static_cast<std::uint64_t>(i_);
    d.time_s = static_cast<double>(i_) / fps_;
    d.new_stream = i_ == 0;
    ++i_;
    return true;
  }
  std::int64_t total() const override { return n_; }
  double fps() const override { return fps_; }

 private:
  std::int64_t n_, i_ = 0;
  double fps_;
};

}  // namespace

RenderResult render_offline(const RenderRequest& rq, const std::atomic<bool>* cancel,
                            const std::function<void(const RenderProgress&)>& progress) {
  RenderResult r;
  r.out = rq.out;
  auto detector = std::make_shared<FaceDetector>(rq.dlib_model);
  if (!detector->ready()) {
    r.error = detector->load_error();
    return r;
  }

  // 1. The source portrait: load, validate, find faces.
  ImageLoadResult img = load_image(rq.source);
  if (!img.ok()) {
    r.error = img.message;
    return r;
  }
  auto src = std::make_shared<SourceImage>();
  src->path = rq.source;
  src->bgr = img.image;
  DetectOptions dopt;
  dopt.source_name = name_of(rq.source);
  DetectionResult det = detector->detect(src->bgr, dopt);
  if (!det.ok()) {
    r.error = det.message.empty() ? name_of(rq.source) + ": no face found" : det.message;
    return r;
  }
  src->faces = det.faces;

  // 2. The engine.
  std::unique_ptr<Engine> engine;
  if (rq.engine == EngineKind::Neural) {
    std::string why;
    engine = make_neural_engine(rq.models_dir, rq.params.device, rq.params.precision, &why);
    if (!engine) {
      r.error = "neural engine unavailable: " + why;
      return r;
    }
  } else {
    engine = make_classic_engine(detector);
  }
  r.engine_name = engine->name();
  std::unique_ptr<EngineSource> prepared;
  try {
    const int face = std::clamp(rq.params.face_index, 0, static_cast<int>(src->faces.size()) - 1);
    prepared = engine->prepare(src, face, rq.params);
  } catch (const std::exception& e) {
    r.error = e.what();
    return r;
  }

  // 3. The driving input.
  std::unique_ptr<DrivingFeed> feed;
  if (rq.driving == "idle") {
    feed = std::make_unique<IdleFeed>(rq.idle_seconds, rq.idle_fps);
  } else if (has_ext(rq.driving, {".json"})) {
    std::string e;
    auto clip = load_motion_file(rq.driving, &e);
    if (!clip) {
      r.error = e;
      return r;
    }
    feed = std::make_unique<MotionFeed>(std::move(*clip));
  } else {
    std::string why;
    MediaKind kind = sniff_media(rq.driving, &why);
    if (kind == MediaKind::Image) {
      ImageLoadResult d = load_image(rq.driving);
      if (!d.ok()) {
        r.error = d.message;
        return r;
      }
      feed = std::make_unique<ImageFeed>(d.image, detector);
    } else if (kind == MediaKind::Video) {
      std::string e;
      auto v = VideoSource::open(rq.driving, &e);
      if (!v) {
        r.error = e;
        return r;
      }
      feed = std::make_unique<VideoFeed>(std::move(v), detector, rq.driving);
    } else {
      r.error = name_of(rq.driving) + ": " + (why.empty() ? "not a video, image or motion file" : why);
      return r;
    }
  }
  r.video_fps = feed->fps();
  std::int64_t total = feed->total();
  if (rq.max_frames > 0 && (total <= 0 || rq.max_frames < total)) total = rq.max_frames;

  // 4. Frame loop: track -> animate -> compose -> encode. Nothing is dropped.
  const bool image_out = has_ext(rq.out, {".png", ".jpg", ".jpeg", ".bmp"});
  std::unique_ptr<VideoWriter> writer;
  MotionClip motion;
  motion.fps = feed->fps();
  motion.source_video = name_of(rq.driving);
  motion.engine = engine_kind_name(rq.engine);
  const auto t0 = std::chrono::steady_clock::now();
  DrivingSample d;
  std::string feed_error;
  cv::Mat last;
  while (feed->next(d, feed_error)) {
    if (cancel && cancel->load()) {
      r.cancelled = true;
      break;
    }
    d.want_motion = !rq.save_motion.empty() && rq.engine == EngineKind::Neural;
    AnimatedFrame f;
    try {
      f = engine->animate(*prepared, d, rq.params);
    } catch (const std::exception& e) {
      r.error = std::string("engine error at frame ") + std::to_string(r.frames) + ": " + e.what();
      break;
    }
    f.source = src;
    cv::Mat out = compose_cpu(f);
    if (out.empty()) {
      r.error = "nothing to render at frame " + std::to_string(r.frames);
      break;
    }
    if (!rq.save_motion.empty()) {
      MotionFrame m;
      m.index = static_cast<int>(r.frames);
      m.time_s = d.time_s;
      if (d.face) {
        m.landmarks = std::vector<cv::Point2f>(d.face->landmarks.begin(), d.face->landmarks.end());
        m.eye_ratio = std::array<float, 2>{d.openness.left_eye, d.openness.right_eye};
        m.lip_ratio = d.openness.lip;
      }
      m.keypoints = f.driving_motion;
      motion.frames.push_back(std::move(m));
    }
    if (image_out) {
      last = out;
    } else {
      if (!writer) {
        VideoWriterOptions wo;
        wo.width = out.cols;
        wo.height = out.rows;
        const double fps = feed->fps();
        // Keep the driving video's exact rate (e.g. 30000/1001) when it has one.
        wo.fps_num = static_cast<int>(std::lround(fps * 1000));
        wo.fps_den = 1000;
        wo.crf = rq.crf;
        wo.preset = rq.preset;
        wo.audio_source = feed->audio_source();
        std::string e;
        writer = VideoWriter::open(rq.out, wo, &e);
        if (!writer) {
          r.error = e;
          return r;
        }
      }
      if (!writer->write(out)) {
        r.error = writer->error();
        break;
      }
    }
    ++r.frames;
    if (total > 0 && r.frames >= total) break;
    if (progress) {
      RenderProgress p;
      p.done = r.frames;
      p.total = total;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      p.fps = secs > 0 ? r.frames / secs : 0;
      p.eta_s = (total > 0 && p.fps > 0) ? (total - r.frames) / p.fps : 0;
      progress(p);
    }
  }
  if (!feed_error.empty()) r.warning = feed_error;

  // 5. Finish: the file is playable whatever happened above.
  if (writer) {
    if (!writer->finish() && r.error.empty()) r.error = writer->error();
    r.audio_note = writer->audio_note();
  } else if (image_out && !last.empty()) {
    if (!cv::imwrite(rq.out, last)) r.error = "cannot write " + rq.out;
  }
  if (!rq.save_motion.empty() && r.error.empty()) {
    std::string e;
    if (!save_motion_file(rq.save_motion, motion, &e)) r.error = e;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.fps = secs > 0 ? r.frames / secs : 0;
  if (r.frames == 0 && r.error.empty())
    r.error = feed_error.empty() ? name_of(rq.driving) + ": no frames to render" : feed_error;
  r.ok = r.error.empty() && !r.cancelled;
  return r;
}

}  // namespace lp
