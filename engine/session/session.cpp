#include "session.h"

#include "common/rate_meter.h"
#include "common/stopwatch.h"
#include "engine_factory.h"
#include "missing_face_warning.h"
#include "core/model_set.h"
#include "media/capture_thread.h"
#include "media/image_loader.h"
#include "vision/face_detector.h"
#include "vision/face_tracker.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <thread>

namespace lp {

namespace {

using Clock = std::chrono::steady_clock;

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

}  // namespace

struct Session::Impl {
  Session* self = nullptr;
  SessionConfig config;

  // ---- Parameters: the UI publishes whole snapshots; the engine thread reads one per frame.
  mutable std::mutex params_mu;
  std::shared_ptr<const Parameters> params = std::make_shared<Parameters>();
  std::shared_ptr<const Parameters> snapshot() const {
    std::lock_guard<std::mutex> l(params_mu);
    return params;
  }

  // ---- Shared face detector (loaded once, ~1 s), used by source workers and the tracker.
  std::mutex detector_mu;
  std::shared_ptr<FaceDetector> detector;
  std::shared_ptr<FaceDetector> get_detector() {
    std::lock_guard<std::mutex> l(detector_mu);
    if (!detector) detector = std::make_shared<FaceDetector>(config.dlib_model);
    return detector;
  }

  // ---- Engines (created lazily; the neural one only when its models load).
  // engines_mu is held while an engine is created (a neural load takes
  // seconds) and only by workers; what the UI reads (stats) sits behind
  // engines_status_mu, which is never held for long.
  std::mutex engines_mu;
  std::shared_ptr<Engine> classic;
  std::shared_ptr<Engine> neural;
  mutable std::mutex engines_status_mu;
  bool neural_tried = false;
  // neural_models_status() of the model folder, looked at again every 2 s by
  // stats(): models exported while the app runs can be chosen without a restart.
  bool neural_models_present = false;
  std::int64_t models_checked_ns = 0;
  std::string neural_reason = "not loaded yet";
  std::string neural_loaded_for;  // device|precision the neural engine was made for
  // `attempted` (optional): set when this call tried to load the neural
  // engine (a failure then is news; a remembered one is not said again).
  std::shared_ptr<Engine> engine_for(EngineKind kind, const Parameters& p, std::string* why,
                                     bool* attempted = nullptr) {
    std::lock_guard<std::mutex> l(engines_mu);
    if (kind == EngineKind::Classic) {
      if (!classic) classic = make_classic_engine(get_detector());
      return classic;
    }
    const std::string want = p.device + "|" + p.precision;
    bool tried, loaded_for_other;
    {
      std::lock_guard<std::mutex> s(engines_status_mu);
      tried = neural_tried;
      loaded_for_other = neural_loaded_for != want;
    }
    if (!tried || loaded_for_other) {
      if (attempted) *attempted = true;
      std::string reason;
      neural.reset();
      auto engine = std::shared_ptr<Engine>(make_neural_engine(config.models_dir, p.device, p.precision, &reason));
      neural = engine;
      std::lock_guard<std::mutex> s(engines_status_mu);
      neural_tried = true;
      neural_reason = engine ? "" : reason;
      neural_loaded_for = want;
    }
    if (!neural && why) {
      std::lock_guard<std::mutex> s(engines_status_mu);
      *why = neural_reason;
    }
    return neural;
  }
  bool neural_known_unavailable(const Parameters& p) const {
    std::lock_guard<std::mutex> s(engines_status_mu);
    return neural_tried && !neural_reason.empty() && neural_loaded_for == p.device + "|" + p.precision;
  }
  // A failed neural load is remembered (no retry per frame or per slider
  // move) until the user chooses Classic: choosing Neural again then tries
  // again (models exported again, GPU memory freed by another program).
  void forget_neural_failure() {
    std::lock_guard<std::mutex> s(engines_status_mu);
    if (neural_tried && !neural_reason.empty()) {
      neural_tried = false;
      neural_reason = "not loaded yet (select it to load)";
    }
  }

  // ---- The current source and its prepared state for the active engine.
  // Swapped as a whole under source_mu; the engine thread copies the shared
  // pointers at the start of a frame, so a swap never disturbs a frame in flight.
  struct Active {
    std::shared_ptr<const SourceImage> source;
    std::shared_ptr<Engine> engine;
    std::shared_ptr<EngineSource> prepared;
    EngineKind kind = EngineKind::Classic;
    int face_index = 0;
    CropParams crop;
    std::string device;  // device|precision it was prepared for
  };
  mutable std::mutex source_mu;
  Active active;
  std::uint64_t generation = 0;  // bumps with every source request; late workers discard their result
  std::string failed_reprepare;  // engine thread + workers under source_mu: the last failed key

  // ---- Driving input
  std::shared_ptr<CaptureMailbox> driving_mb = std::make_shared<CaptureMailbox>();
  std::unique_ptr<CaptureThread> capture;
  mutable std::mutex driving_mu;
  DrivingStatus driving;
  std::atomic<std::uint64_t> stream_start_seq{0};  // frames with sequence <= this are stale
  std::atomic<bool> idle_new_stream{false};        // driving closed: the idle motion starts afresh
  std::atomic<bool> driving_active{false};
  std::atomic<bool> driving_is_camera{false};  // mirror only webcams (read per frame)
  std::atomic<int> camera_index{-1};
  // Opening a driving input (probing a file, opening a V4L2 device) happens
  // on a worker so the UI never waits on it; the newest request wins
  // (driving_gen), and the switch itself runs under driving_switch_mu, which
  // the destructor also takes before it removes the capture thread.
  std::mutex driving_switch_mu;
  std::atomic<std::uint64_t> driving_gen{0};
  std::atomic<int> driving_opening{0};
  bool input_failure_reported = false;  // engine thread only

  // ---- Output
  mutable std::mutex out_mu;
  std::condition_variable out_cv;
  std::shared_ptr<const AnimatedFrame> output;
  SessionStats stats;
  std::uint64_t seq = 0;

  // ---- Messages for the UI
  std::mutex msg_mu;
  std::deque<SessionMessage> messages;
  // A driving input without a face drives nothing: say so (MissingFaceWarning
  // decides when). `waited_s`: how long the engine waited for this frame.
  MissingFaceWarning no_face_warning;
  void report_missing_driving_face(bool new_stream, bool has_face, double time_s, double waited_s) {
    if (!no_face_warning.update(new_stream, has_face, time_s, waited_s)) return;
    std::string name;
    {
      std::lock_guard<std::mutex> l(driving_mu);
      name = driving.name;
    }
    post(MessageLevel::Warning, "No face found in the driving input" + (name.empty() ? std::string() : " '" + name + "'") +
                                    " for " + std::to_string(static_cast<int>(MissingFaceWarning::kWarnAfterS)) +
                                    " s: the portrait is not driven until a face appears");
  }

  void post(MessageLevel level, std::string text) {
    std::lock_guard<std::mutex> l(msg_mu);
    messages.push_back({level, std::move(text)});
    while (messages.size() > 200) messages.pop_front();
  }

  // ---- Latency of displayed frames
  std::mutex latency_mu;
  std::deque<std::pair<std::int64_t, double>> latencies;  // (display time, ms)

  // ---- Threads
  std::thread engine_thread;
  std::atomic<bool> stop{false};
  std::atomic<bool> rezero_request{false};
  // Source-preparation workers; finished ones are joined when the next starts.
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex workers_mu;
  std::vector<Worker> workers;
  std::atomic<bool> reprepare_busy{false};

  // ------------------------------------------------------------------------
  // Source preparation (worker threads)

  // Whether source request `gen` has lost to a newer one (or the session is
  // closing). Its worker then stops at the next stage (before reading the
  // file, when the detector is free, before preparing) instead of loading,
  // detecting and preparing a portrait nobody will see: quick switching
  // (recent portraits, several files dropped) would otherwise queue one full
  // preparation per request on the CPU, delaying the newest, and closing the
  // session would wait for all of them.
  bool superseded(std::uint64_t gen) {
    if (stop.load()) return true;
    std::lock_guard<std::mutex> l(source_mu);
    return gen != generation;
  }

  // Loads + detects + prepares; on success swaps it in if still the newest request.
  void prepare_source_job(std::uint64_t gen, std::string name, cv::Mat preloaded) {
    if (superseded(gen)) return;
    auto p = snapshot();
    auto src = std::make_shared<SourceImage>();
    src->path = name;
    if (preloaded.empty()) {
      ImageLoadResult img = load_image(name);
      if (!img.ok()) {
        post(MessageLevel::Error, img.message);
        return;
      }
      src->bgr = std::move(img.image);
    } else {
      src->bgr = std::move(preloaded);
    }
    DetectOptions opts;
    opts.source_name = file_name(name);
    opts.cancelled = [this, gen] { return superseded(gen); };  // searches queue one at a time
    DetectionResult det = get_detector()->detect(src->bgr, opts);
    if (det.status == DetectStatus::Cancelled) return;
    if (!det.ok()) {
      post(MessageLevel::Error, det.message.empty() ? file_name(name) + ": no face found" : det.message);
      return;
    }
    src->faces = std::move(det.faces);
    if (superseded(gen)) return;
    std::shared_ptr<const SourceImage> csrc = src;
    prepare_and_swap(gen, csrc, *p, /*announce=*/true);
  }

  // Prepares `src` for the engine the parameters ask for and swaps it in.
  // `gen` is the source request this belongs to; a re-prepare of the current
  // source (engine, face or crop changed) passes reprepare = true and swaps
  // only if that source is still the active one, never cancelling a newer
  // request.
  bool prepare_and_swap(std::uint64_t gen, std::shared_ptr<const SourceImage> src, const Parameters& p,
                        bool announce, bool reprepare = false) {
    EngineKind kind = p.engine;
    std::string why;
    bool attempted = false;
    std::shared_ptr<Engine> engine = engine_for(kind, p, &why, &attempted);
    if (!engine) {
      if (attempted) post(MessageLevel::Warning, "Neural engine unavailable (" + why + "); using Classic (mesh warp)");
      kind = EngineKind::Classic;
      engine = engine_for(kind, p, nullptr);
    }
    const int face = std::clamp(p.face_index, 0, static_cast<int>(src->faces.size()) - 1);
    std::shared_ptr<EngineSource> prepared;
    try {
      prepared = engine->prepare(src, face, p);
    } catch (const std::exception& e) {
      post(MessageLevel::Error, e.what());
      return false;
    }
    {
      std::lock_guard<std::mutex> l(source_mu);
      if (reprepare ? active.source != src : gen != generation) return false;  // a newer request won
      active.source = src;
      active.engine = engine;
      active.prepared = std::move(prepared);
      active.kind = kind;
      active.face_index = face;
      active.crop = p.source_crop;
      active.device = p.device + "|" + p.precision;
    }
    if (announce) {
      std::string msg = "Source " + file_name(src->path) + ": " + std::to_string(src->faces.size()) +
                        (src->faces.size() == 1 ? " face" : " faces");
      post(MessageLevel::Info, msg);
    }
    return true;
  }

  // Makes an opened input the driving input (`start` hands it to the capture
  // thread), unless shutdown or a newer request came first. True when it did.
  bool use_driving_input(std::uint64_t gen, const DrivingStatus& status, const std::function<void()>& start) {
    std::lock_guard<std::mutex> sw(driving_switch_mu);
    if (stop.load() || gen != driving_gen.load()) return false;
    {
      std::lock_guard<std::mutex> l(driving_mu);
      driving = status;
    }
    driving_mb->reopen();
    capture->stop();                                   // the old input publishes nothing more...
    stream_start_seq.store(capture->last_sequence());  // ...and what it did is stale
    driving_is_camera.store(status.kind == DrivingStatus::Kind::Camera);
    start();
    driving_active.store(true);
    return true;
  }

  // Opens a driving video (probing it: call on a worker) and makes it the
  // input unless a newer choice (generation `gen`) came since.
  void open_video_job(std::uint64_t gen, const std::string& path) {
    std::string error;
    auto video = VideoSource::open(path, &error);
    if (!video) {
      post(MessageLevel::Error, error);  // the current input keeps running
      return;
    }
    DrivingStatus status;
    status.kind = DrivingStatus::Kind::Video;
    status.name = path;
    status.fps = video->info().fps;
    status.frame_count = video->info().frame_count;
    if (!use_driving_input(gen, status, [&] { capture->start_video(std::move(video), true, true); }))
      return;  // closing, or a newer choice won
    post(MessageLevel::Info, "Driving: " + file_name(path));
  }

  // Runs `job` on a worker thread; `busy` counts the jobs of its kind still
  // running (the UI's "loading" indicators). An exception becomes an error
  // message starting with `what`.
  void spawn_worker(std::function<void()> job, std::atomic<int>* busy = nullptr,
                    const char* what = "Source preparation failed") {
    if (!busy) busy = &self->loading_;
    std::lock_guard<std::mutex> l(workers_mu);
    // Join finished workers first so the list stays short in a long session.
    for (auto it = workers.begin(); it != workers.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers.erase(it);
      } else {
        ++it;
      }
    }
    busy->fetch_add(1);
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers.push_back({std::thread([this, done, busy, what, job = std::move(job)] {
                         try {
                           job();
                         } catch (const std::exception& e) {
                           post(MessageLevel::Error, std::string(what) + ": " + e.what());
                         }
                         busy->fetch_sub(1);
                         done->store(true);
                       }),
                       done});
  }

  // ------------------------------------------------------------------------
  // Engine thread

  void engine_loop() {
    std::shared_ptr<FaceTracker> tracker;
    std::string last_engine_error;  // the same error is reported once, not per frame
    RateMeter engine_rate, capture_rate;
    std::uint64_t stream_seen = 0;          // the driving stream the last frame came from
    std::optional<DrivingSample> last_sample;  // re-animated while the video waits (paused, ended)
    std::shared_ptr<const Parameters> last_params;
    const Engine* last_engine = nullptr;
    const EngineSource* last_prepared = nullptr;
    const auto t_start = Clock::now();
    double frame_wait_s = 0;  // waited for a driving frame since the last one came
    while (!stop.load()) {
      // 1. Take the newest driving frame (stale ones were dropped by the mailbox).
      //    Without a driving input, tick at ~30 Hz so the idle motion plays.
      std::optional<CapturedFrame> frame;
      if (driving_active.load()) {
        const auto wait_start = Clock::now();
        frame = driving_mb->wait_take(std::chrono::milliseconds(33));
        frame_wait_s += std::chrono::duration<double>(Clock::now() - wait_start).count();
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(33));
      }
      if (stop.load()) break;
      // Frames of an input that was replaced are stale: drop them. The first
      // frame of a new input resets the references.
      bool new_stream = false;
      if (frame) {
        const std::uint64_t start = stream_start_seq.load();
        if (frame->sequence <= start) continue;
        if (stream_seen != start) {
          stream_seen = start;
          new_stream = true;
        }
      }
      if (idle_new_stream.exchange(false)) new_stream = true;
      bool reuse_last = false;
      if (driving_active.load() && !frame) {
        // A webcam that disappeared (or a video that failed) is "no driving
        // input" until reconnected: say so once and let the idle motion play.
        const CaptureStatus cs = capture->status();
        const bool failed = cs.state == CaptureState::CameraLost || cs.state == CaptureState::Error;
        if (!failed) {
          // Waiting (paused or ended video): re-animate the last frame when a
          // control, the source or the engine changed, so every change shows.
          Active cur;
          {
            std::lock_guard<std::mutex> l(source_mu);
            cur = active;
          }
          const bool changed = snapshot() != last_params || cur.engine.get() != last_engine ||
                               cur.prepared.get() != last_prepared || rezero_request.load();
          if (!last_sample || !changed || self->paused_.load()) continue;
          reuse_last = true;
        } else if (!input_failure_reported) {
          post(MessageLevel::Error, cs.message.empty() ? "Driving input stopped" : cs.message);
          input_failure_reported = true;
        }
      } else if (frame) {
        input_failure_reported = false;
      }
      if (self->paused_.load()) continue;             // output frozen

      // 2. Read one immutable parameter snapshot for this whole frame.
      std::shared_ptr<const Parameters> p = snapshot();

      // 3. The active source; re-prepare on a worker when the engine, face or
      //    crop changed (the old preparation keeps animating meanwhile).
      Active a;
      {
        std::lock_guard<std::mutex> l(source_mu);
        a = active;
      }
      maybe_reprepare(a, *p);

      const auto t0 = Clock::now();
      const std::int64_t now_ns = steady_now_ns();
      DrivingSample d;
      if (reuse_last) d = *last_sample;
      d.time_s = std::chrono::duration<double>(t0 - t_start).count();
      if (reuse_last) {
        d.capture_ns = now_ns;
      } else if (frame) {
        d.bgr = std::move(frame->image);
        d.capture_ns = frame->capture_ns;
        if (driving_is_camera.load() && p->mirror_webcam) cv::flip(d.bgr, d.bgr, 1);
        capture_rate.tick(frame->capture_ns);
      } else {
        d.capture_ns = now_ns;
      }
      d.new_stream = new_stream;

      // 4. Track the driving face (a re-animated frame keeps its face).
      if (!d.bgr.empty() && !reuse_last) {
        if (!tracker) {
          TrackerOptions to;
          to.background_redetect = config.background_redetect;
          tracker = std::make_shared<FaceTracker>(get_detector(), to);
        }
        if (d.new_stream) tracker->reset();
        TrackResult tr = tracker->track(d.bgr, d.time_s);
        if (tr.has_face()) {
          d.face = tr.face;
          d.openness = compute_openness(tr.face.landmarks);
        }
        report_missing_driving_face(d.new_stream, tr.has_face(), d.time_s, frame_wait_s);
        frame_wait_s = 0;
      }
      const double track_ms = ms_since(t0);

      if (rezero_request.exchange(false) && a.engine) a.engine->rezero();
      // A new input, or an engine that was not the one animating last frame
      // (its reference may come from an earlier input): start from this frame.
      if ((d.new_stream || a.engine.get() != last_engine) && a.engine) a.engine->rezero();
      last_engine = a.engine.get();
      last_prepared = a.prepared.get();
      last_params = p;
      if (!d.bgr.empty()) last_sample = d;
      else last_sample.reset();

      // 5. Animate (or pass the driving frame through when there is no source).
      auto out = std::make_shared<AnimatedFrame>();
      if (a.engine && a.prepared) {
        try {
          *out = a.engine->animate(*a.prepared, d, *p);
          last_engine_error.clear();
        } catch (const std::exception& e) {
          const std::string msg = std::string("Engine error: ") + e.what();
          if (msg != last_engine_error) post(MessageLevel::Error, msg);
          last_engine_error = msg;
          continue;
        }
      }
      out->driving_bgr = d.bgr;
      if (!out->driving_face) out->driving_face = d.face;
      out->timings.insert(out->timings.begin(), StageTime{"track", track_ms});
      out->total_ms = ms_since(t0);
      out->capture_ns = d.capture_ns;
      if (out->engine_name.empty()) out->engine_name = a.engine ? a.engine->name() : "none";

      // 6. Publish the newest result; the UI picks it up when it draws.
      engine_rate.tick(now_ns);
      {
        std::lock_guard<std::mutex> l(out_mu);
        out->seq = ++seq;
        output = out;
        stats.engine_fps = engine_rate.rate(now_ns);
        stats.capture_fps = driving_active.load() ? capture_rate.rate(now_ns) : 0.0;
        stats.engine_ms = out->total_ms;
        stats.stages = out->timings;
        stats.engine_name = out->engine_name;
        stats.engine_device = a.engine ? a.engine->device() : "";
        stats.engine_status = a.engine ? a.engine->status() : "";
        stats.frames_dropped = driving_mb->dropped();
      }
      out_cv.notify_all();
    }
  }

  void maybe_reprepare(const Active& a, const Parameters& p) {
    if (p.engine == EngineKind::Classic) forget_neural_failure();
    if (!a.source || reprepare_busy.load()) return;
    const bool crop_changed = a.crop.scale != p.source_crop.scale || a.crop.vx != p.source_crop.vx ||
                              a.crop.vy != p.source_crop.vy || a.crop.rotate != p.source_crop.rotate;
    const int want_face = std::clamp(p.face_index, 0, static_cast<int>(a.source->faces.size()) - 1);
    bool engine_changed = a.kind != p.engine;
    // Neural known to be unavailable: stay on classic, no retry per frame.
    if (engine_changed && p.engine == EngineKind::Neural && neural_known_unavailable(p)) engine_changed = false;
    // A new device or precision for the neural engine means a reload.
    const bool device_changed =
        a.kind == EngineKind::Neural && p.engine == EngineKind::Neural && a.device != p.device + "|" + p.precision;
    if (!crop_changed && want_face == a.face_index && !engine_changed && !device_changed) return;
    // A preparation that failed is not retried every frame: only once
    // something it depends on changes.
    const std::string key = std::to_string(reinterpret_cast<std::uintptr_t>(a.source.get())) + "|" +
                            engine_kind_name(p.engine) + "|" + std::to_string(want_face) + "|" +
                            std::to_string(p.source_crop.scale) + "|" + std::to_string(p.source_crop.vx) + "|" +
                            std::to_string(p.source_crop.vy) + "|" + std::to_string(p.source_crop.rotate) + "|" +
                            p.device + "|" + p.precision;
    {
      std::lock_guard<std::mutex> l(source_mu);
      if (key == failed_reprepare) return;
    }
    reprepare_busy.store(true);
    auto src = a.source;
    auto params_copy = p;
    spawn_worker([this, src, params_copy, key] {
      if (!prepare_and_swap(0, src, params_copy, false, /*reprepare=*/true)) {
        std::lock_guard<std::mutex> l(source_mu);
        if (active.source == src) failed_reprepare = key;
      }
      reprepare_busy.store(false);
    });
  }
};

// ---------------------------------------------------------------------------

std::string neural_models_status(const std::string& models_dir) {
  std::error_code ec;
  if (models_dir.empty() || !std::filesystem::is_directory(models_dir, ec)) return no_model_folder_reason(models_dir);
  try {
    ModelSet::check_files(models_dir);
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

Session::Session(SessionConfig config) : impl_(std::make_unique<Impl>()) {
  impl_->self = this;
  impl_->config = std::move(config);
  impl_->capture = std::make_unique<CaptureThread>(impl_->driving_mb);
  impl_->neural_reason = neural_models_status(impl_->config.models_dir);
  impl_->neural_models_present = impl_->neural_reason.empty();
  impl_->models_checked_ns = steady_now_ns();
  if (impl_->neural_reason.empty()) impl_->neural_reason = "not loaded yet (select it to load)";
  impl_->engine_thread = std::thread([this] { impl_->engine_loop(); });
}

Session::~Session() {
  impl_->stop.store(true);
  impl_->driving_mb->close();  // wakes the engine thread if it waits for a frame
  if (impl_->engine_thread.joinable()) impl_->engine_thread.join();
  {
    // Then stop and join the capture thread it reads; a driving input that is
    // still opening sees `stop` under this lock and never touches it.
    std::lock_guard<std::mutex> sw(impl_->driving_switch_mu);
    impl_->capture.reset();
  }
  std::vector<Impl::Worker> workers;
  {
    std::lock_guard<std::mutex> l(impl_->workers_mu);
    workers.swap(impl_->workers);
  }
  for (auto& w : workers)
    if (w.thread.joinable()) w.thread.join();
}

void Session::open_source(const std::string& path) {
  std::uint64_t gen;
  {
    std::lock_guard<std::mutex> l(impl_->source_mu);
    gen = ++impl_->generation;
  }
  impl_->spawn_worker([this, gen, path] { impl_->prepare_source_job(gen, path, cv::Mat()); });
}

void Session::open_source_image(const std::string& name, const cv::Mat& bgr) {
  std::uint64_t gen;
  {
    std::lock_guard<std::mutex> l(impl_->source_mu);
    gen = ++impl_->generation;
  }
  cv::Mat copy = bgr.clone();
  impl_->spawn_worker([this, gen, name, copy] { impl_->prepare_source_job(gen, name, copy); });
}

void Session::open_driving_video(const std::string& path) {
  const std::uint64_t gen = ++impl_->driving_gen;
  impl_->spawn_worker([this, gen, path] { impl_->open_video_job(gen, path); }, &impl_->driving_opening,
                      "Opening the driving video failed");
}

void Session::open_driving_camera(int index) {
  const std::uint64_t gen = ++impl_->driving_gen;
  impl_->spawn_worker(
      [this, gen, index] {
        auto cam = std::make_unique<CameraSource>();
        if (!cam->open(index)) {  // a stalled device blocks this worker, not the UI
          // The current input (if any) keeps running.
          impl_->post(MessageLevel::Error, cam->error().empty()
                                               ? "Camera " + std::to_string(index) + " cannot be opened"
                                               : cam->error());
          return;
        }
        DrivingStatus status;
        status.kind = DrivingStatus::Kind::Camera;
        status.name = "Camera " + std::to_string(index);
        status.fps = cam->fps();
        impl_->use_driving_input(gen, status, [&] {
          impl_->camera_index.store(index);
          impl_->capture->start_camera(std::move(cam));
        });
      },
      &impl_->driving_opening, "Opening the camera failed");
}

void Session::close_driving() {
  ++impl_->driving_gen;  // an input still opening does not take over afterwards
  std::lock_guard<std::mutex> sw(impl_->driving_switch_mu);
  impl_->driving_active.store(false);
  impl_->capture->stop();
  impl_->stream_start_seq.store(impl_->capture->last_sequence());
  impl_->idle_new_stream.store(true);
  std::lock_guard<std::mutex> l(impl_->driving_mu);
  impl_->driving = DrivingStatus{};
}

int Session::driving_camera_index() const {
  return impl_->driving_is_camera.load() ? impl_->camera_index.load() : -1;
}

void Session::reconnect_driving() {
  DrivingStatus d = driving_status();
  if (d.kind == DrivingStatus::Kind::Camera) impl_->capture->reconnect();
}

void Session::open_dropped_file(const std::string& path) {
  // This runs in the window's drop callback: only an image is told here, by
  // its first bytes. Anything else is probed as a video by FFmpeg on a worker
  // (reading its streams can take seconds on a network mount).
  if (sniff_media(path, nullptr, /*probe_video=*/false) == MediaKind::Image) {
    open_source(path);
    return;
  }
  const std::uint64_t gen = ++impl_->driving_gen;
  impl_->spawn_worker(
      [this, gen, path] {
        std::string reason;
        switch (sniff_media(path, &reason)) {
          case MediaKind::Image:  // changed on disk since the drop
          case MediaKind::Video:
            break;
          default:
            impl_->post(MessageLevel::Error,
                        "Cannot use " + file_name(path) + ": " + (reason.empty() ? "not an image or a video" : reason));
            return;
        }
        impl_->open_video_job(gen, path);
      },
      &impl_->driving_opening, "Opening the dropped file failed");
}

void Session::set_playing(bool playing) {
  if (playing)
    impl_->capture->play();
  else
    impl_->capture->pause();
}
void Session::set_loop(bool loop) { impl_->capture->set_loop(loop); }
void Session::seek(std::int64_t frame) { impl_->capture->seek(frame); }
void Session::set_speed(double speed) { impl_->capture->set_speed(speed); }

void Session::set_parameters(const Parameters& params) {
  auto snap = std::make_shared<const Parameters>(params);
  std::lock_guard<std::mutex> l(impl_->params_mu);
  impl_->params = std::move(snap);
}

Parameters Session::parameters() const { return *impl_->snapshot(); }

void Session::rezero() { impl_->rezero_request.store(true); }

void Session::set_paused(bool paused) { paused_.store(paused); }

std::shared_ptr<const AnimatedFrame> Session::latest_output() const {
  std::lock_guard<std::mutex> l(impl_->out_mu);
  return impl_->output;
}

std::shared_ptr<const SourceImage> Session::current_source() const {
  std::lock_guard<std::mutex> l(impl_->source_mu);
  return impl_->active.source;
}

DrivingStatus Session::driving_status() const {
  DrivingStatus d;
  {
    std::lock_guard<std::mutex> l(impl_->driving_mu);
    d = impl_->driving;
  }
  if (d.kind == DrivingStatus::Kind::Video || d.kind == DrivingStatus::Kind::Camera) {
    CaptureStatus c = impl_->capture->status();
    d.playing = c.state == CaptureState::Playing;
    d.loop = c.loop;
    d.speed = c.speed;
    d.position = c.position;
    if (c.frame_count > 0) d.frame_count = c.frame_count;
    d.failed = c.state == CaptureState::Error || c.state == CaptureState::CameraLost;
  }
  return d;
}

SessionStats Session::stats() const {
  SessionStats s;
  {
    std::lock_guard<std::mutex> l(impl_->out_mu);
    s = impl_->stats;
  }
  {
    std::lock_guard<std::mutex> l(impl_->engines_status_mu);
    if (const std::int64_t now = steady_now_ns(); now - impl_->models_checked_ns > 2'000'000'000) {
      impl_->models_checked_ns = now;
      const std::string why = neural_models_status(impl_->config.models_dir);
      impl_->neural_models_present = why.empty();
      if (!impl_->neural_tried) impl_->neural_reason = why.empty() ? "not loaded yet (select it to load)" : why;
    }
    s.neural_available = impl_->neural_tried && impl_->neural_reason.empty();
    s.neural_unavailable_reason = impl_->neural_reason;
    s.neural_models_present = impl_->neural_models_present;
  }
  {
    std::lock_guard<std::mutex> l(impl_->latency_mu);
    std::vector<double> v;
    const std::int64_t now = steady_now_ns();
    for (auto& [t, ms] : impl_->latencies)
      if (now - t <= 1'000'000'000) v.push_back(ms);
    if (!v.empty()) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      s.latency_p50_ms = v[v.size() / 2];
    }
  }
  return s;
}

std::vector<SessionMessage> Session::take_messages() {
  std::lock_guard<std::mutex> l(impl_->msg_mu);
  std::vector<SessionMessage> out(impl_->messages.begin(), impl_->messages.end());
  impl_->messages.clear();
  return out;
}

void Session::report_displayed(std::int64_t capture_ns) {
  if (capture_ns <= 0) return;
  const std::int64_t now = steady_now_ns();
  std::lock_guard<std::mutex> l(impl_->latency_mu);
  impl_->latencies.emplace_back(now, (now - capture_ns) / 1e6);
  while (!impl_->latencies.empty() && now - impl_->latencies.front().first > 2'000'000'000)
    impl_->latencies.pop_front();
}

std::shared_ptr<const AnimatedFrame> Session::wait_for_output(std::uint64_t after_seq, double timeout_s) {
  std::unique_lock<std::mutex> l(impl_->out_mu);
  impl_->out_cv.wait_for(l, std::chrono::duration<double>(timeout_s),
                         [&] { return impl_->output && impl_->output->seq > after_seq; });
  if (impl_->output && impl_->output->seq > after_seq) return impl_->output;
  return nullptr;
}

bool Session::driving_opening() const { return impl_->driving_opening.load() > 0; }

bool Session::wait_driving_idle(double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (impl_->driving_opening.load() > 0) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool Session::wait_source_idle(double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (loading_.load() > 0) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace lp
