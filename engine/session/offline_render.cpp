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
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <fcntl.h>
#include <unistd.h>

namespace lp {

namespace {

namespace fs = std::filesystem;

std::string name_of(const std::string& path) { return fs::path(path).filename().string(); }

// Where writing to `path` ends up: a symlink is followed to the file it names
// (which may not exist yet), so that writing replaces that file, not the link.
fs::path through_links(const std::string& path) {
  std::error_code ec;
  fs::path p = path;
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return p;
}

// Do `a` and `b` name the same file? Two existing names are compared by
// identity (hard links, symlinks and "./x" spellings all count); two names
// not there yet by their absolute, normalised form, so that two spellings of
// one new file match too. One existing and one not: different files.
bool same_file(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  std::error_code ec;
  const bool ea = fs::exists(a, ec), eb = fs::exists(b, ec);
  if (ea && eb) return fs::equivalent(a, b, ec) && !ec;
  if (ea || eb) return false;
  auto normal = [](const std::string& p) {
    std::error_code e;
    const fs::path abs = fs::absolute(through_links(p), e);
    const fs::path c = fs::weakly_canonical(abs, e);
    return e ? abs.lexically_normal() : c;
  };
  return normal(a) == normal(b);
}

// Why a file cannot be written at `path` ("" when it can): its folder must
// exist, and an existing name must be a regular file. Checked up front
// because an image output and the motion file are written only after every
// frame was rendered, and because the motion file is saved by renaming a
// temporary file over the name, which as root replaces even a device node
// such as /dev/full.
// `via_rename`: the file is written as "<name>.tmp" and renamed over the name
// (the motion file), so its folder must be writable even when the file exists.
std::string unwritable_reason(const std::string& path, bool via_rename = false) {
  std::error_code ec;
  const fs::path p = through_links(path);
  const fs::file_status st = fs::status(p, ec);
  if (fs::exists(st)) {
    if (fs::is_directory(st)) return "it is a folder";
    if (!fs::is_regular_file(st)) return "it is not a regular file (a device, a pipe or a socket)";
    if (::access(p.c_str(), W_OK) != 0) return std::string("it cannot be written (") + std::strerror(errno) + ")";
    if (!via_rename) return {};
  }
  fs::path folder = fs::absolute(p, ec).parent_path();
  if (folder.empty()) folder = ".";
  if (!fs::is_directory(folder, ec)) return "the folder '" + folder.string() + "' does not exist";
  if (::access(folder.c_str(), W_OK) != 0)
    return "the folder '" + folder.string() + "' cannot be written (" + std::strerror(errno) + ")";
  if (!fs::exists(st)) {
    // access() says yes to root everywhere, and some folders take no new
    // files whatever the permissions (/proc, /sys, a read-only mount): create
    // the file to be sure, and remove it again.
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      return "files cannot be created in the folder '" + folder.string() + "' (" + std::strerror(err) + ")";
    }
    ::close(fd);
    ::unlink(p.c_str());
  }
  return {};
}

bool has_ext(const std::string& path, std::initializer_list<const char*> exts) {
  std::string e = std::filesystem::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  for (const char* x : exts)
    if (e == x) return true;
  return false;
}

// An image output holds a still of the last frame rendered.
bool is_image_output(const std::string& path) { return has_ext(path, {".png", ".jpg", ".jpeg", ".bmp"}); }

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
  // Frames were tracked and not one had a face: the engines then show the
  // portrait still, which is easy to mistake for a broken render.
  bool never_found_a_face() const { return tracked_ > 0 && with_face_ == 0; }

 protected:
  void track(DrivingSample& d) {
    TrackResult tr = tracker_->track(d.bgr, d.time_s);
    ++tracked_;
    if (tr.has_face()) {
      ++with_face_;
      d.face = tr.face;
      d.openness = compute_openness(tr.face.landmarks);
    }
  }
  std::unique_ptr<FaceTracker> tracker_;
  std::int64_t tracked_ = 0, with_face_ = 0;
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
      last_face_ = d.face;
    } else if (!m.has_motion() && last_face_) {
      // Saved from a video frame in which the face was lost: that frame held
      // the last pose (a driving frame without a face), so the replay does.
      d.face = last_face_;
      d.openness = compute_openness(last_face_->landmarks);
    }
    ++i_;
    return true;
  }
  std::int64_t total() const override { return static_cast<std::int64_t>(clip_.frames.size()); }
  double fps() const override { return clip_.fps > 0 ? clip_.fps : 30.0; }

 private:
  MotionClip clip_;
  size_t i_ = 0;
  std::optional<Face> last_face_;
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

void add_warning(RenderResult& r, const std::string& w) { r.warning += (r.warning.empty() ? "" : "; ") + w; }

}  // namespace

std::string check_render_request(const RenderRequest& rq) {
  if (rq.out.empty()) return "no output file was given";
  const bool driving_file = !rq.driving.empty() && rq.driving != "idle";
  if (same_file(rq.out, rq.source))
    return "the output '" + rq.out + "' is the same file as the source image '" + rq.source +
           "': rendering would overwrite the portrait; choose another output name";
  if (driving_file && same_file(rq.out, rq.driving))
    return "the output '" + rq.out + "' is the same file as the driving input '" + rq.driving +
           "': rendering would overwrite it; choose another output name";
  if (!is_image_output(rq.out) && video_container_for(rq.out).empty())
    return "cannot write the output '" + rq.out + "': " + kVideoFormatsHint +
           ", or .png/.jpg/.bmp for a still of the last frame";
  std::string why = unwritable_reason(rq.out);
  if (!why.empty()) return "cannot write the output '" + rq.out + "': " + why;
  if (!rq.save_motion.empty()) {
    const std::string& m = rq.save_motion;
    struct Other {
      const std::string& path;
      const char* what;
    };
    const Other others[] = {{rq.source, "the source image"}, {rq.out, "the output"}};
    for (const Other& o : others)
      if (same_file(m, o.path))
        return "the motion file '" + m + "' is the same file as " + o.what + " '" + o.path +
               "': saving the motion would overwrite it; choose another name";
    if (driving_file && same_file(m, rq.driving))
      return "the motion file '" + m + "' is the same file as the driving input '" + rq.driving +
             "': saving the motion would overwrite it; choose another name";
    why = unwritable_reason(m, /*via_rename=*/true);
    if (!why.empty()) return "cannot save the motion to '" + m + "': " + why;
  }
  return {};
}

RenderResult render_offline(const RenderRequest& rq, const std::atomic<bool>* cancel,
                            const std::function<void(const RenderProgress&)>& progress) {
  RenderResult r;
  r.out = rq.out;
  r.error = check_render_request(rq);
  if (!r.error.empty()) {
    r.refused = true;
    return r;
  }
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
  if (const std::string note = engine->status(); !note.empty()) r.notes.push_back(note);

  // 3. The driving input.
  std::unique_ptr<DrivingFeed> feed;
  const TrackedFrames* tracked = nullptr;  // the feed, when its frames are tracked
  bool driving_image = false;
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
      auto f = std::make_unique<ImageFeed>(d.image, detector);
      tracked = f.get();
      driving_image = true;
      feed = std::move(f);
    } else if (kind == MediaKind::Video) {
      std::string e;
      auto v = VideoSource::open(rq.driving, &e);
      if (!v) {
        r.error = e;
        return r;
      }
      auto f = std::make_unique<VideoFeed>(std::move(v), detector, rq.driving);
      tracked = f.get();
      feed = std::move(f);
    } else {
      r.error = name_of(rq.driving) + ": " + (why.empty() ? "not a video, image or motion file" : why);
      return r;
    }
  }
  r.video_fps = feed->fps();
  std::int64_t total = feed->total();
  if (rq.max_frames > 0 && (total <= 0 || rq.max_frames < total)) total = rq.max_frames;

  // 4. Frame loop: track -> animate -> compose -> encode. Nothing is dropped.
  const bool image_out = is_image_output(rq.out);
  std::unique_ptr<VideoWriter> writer;
  MotionClip motion;
  motion.fps = feed->fps();
  motion.source_video = name_of(rq.driving);
  motion.engine = engine_kind_name(rq.engine);
  const auto t0 = std::chrono::steady_clock::now();
  DrivingSample d;
  std::string feed_error;
  cv::Mat last;
  std::int64_t first_pts = 0;
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
        if (!writer->size_note().empty()) r.notes.push_back(writer->size_note());
      }
      // Frames keep their driving timestamps: a variable-frame-rate video (a
      // phone's, a screen recording's) holds a frame through its gap, so the
      // motion stays in step with the driving audio.
      const std::int64_t pts = std::llround(d.time_s * feed->fps());
      if (r.frames == 0) first_pts = pts;
      if (!writer->write(out, pts - first_pts)) {
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
  if (!feed_error.empty()) add_warning(r, feed_error);
  if (tracked && tracked->never_found_a_face() && r.error.empty() && !r.cancelled)
    add_warning(r, std::string("no face was found in ") + (driving_image ? "the driving image '" : "any frame of '") +
                       rq.driving + "'; the output shows the portrait without motion");

  // 5. Finish: the file is playable whatever happened above.
  if (writer) {
    if (!writer->finish() && r.error.empty()) r.error = writer->error();
    r.frames_written = writer->frames_written();
    r.audio_note = writer->audio_note();
  } else if (image_out && !last.empty()) {
    bool written = false;
    std::string why;
    try {
      written = cv::imwrite(rq.out, last);
    } catch (const cv::Exception& e) {
      why = std::string(": ") + e.what();
    }
    r.still_image = true;
    if (written) r.frames_written = 1;
    else if (r.error.empty()) r.error = "cannot write the image '" + rq.out + "'" + why;
  }
  const bool any_motion =
      std::any_of(motion.frames.begin(), motion.frames.end(), [](const MotionFrame& m) { return m.has_motion(); });
  if (!rq.save_motion.empty() && r.error.empty() && !any_motion) {
    // A file that drives nothing would only fail when it is replayed.
    add_warning(r, "the motion file '" + rq.save_motion + "' was not written: no frame had a face to take motion from");
  } else if (!rq.save_motion.empty() && r.error.empty()) {
    // save_motion_file() writes "<name>.tmp" and renames it over the name,
    // which would replace a symlink with a plain file: write to its target.
    std::string e;
    if (!save_motion_file(through_links(rq.save_motion).string(), motion, &e)) r.error = e;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.fps = secs > 0 ? r.frames / secs : 0;
  if (r.frames == 0 && r.error.empty())
    r.error = feed_error.empty() ? name_of(rq.driving) + ": no frames to render" : feed_error;
  r.ok = r.error.empty() && !r.cancelled;
  return r;
}

}  // namespace lp
