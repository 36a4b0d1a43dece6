#include "classic_engine.h"

#include "classic/classic_animator.h"

#include <chrono>
#include <filesystem>

namespace lp {

namespace {

struct ClassicSource : EngineSource {
  std::shared_ptr<const PreparedClassicSource> prepared;
};

}  // namespace

ClassicEngine::ClassicEngine(std::shared_ptr<const FaceDetector> detector)
    : detector_(std::move(detector)), animator_(std::make_unique<ClassicAnimator>()) {}

ClassicEngine::~ClassicEngine() = default;

std::unique_ptr<EngineSource> ClassicEngine::prepare(std::shared_ptr<const SourceImage> source, int face_index,
                                                     const Parameters&) {
  const std::string name = std::filesystem::path(source->path).filename().string();
  if (source->faces.empty()) throw EngineError(name + ": no face found");
  ClassicPrepareResult r =
      ClassicAnimator::prepare(source->bgr, source->faces.at(static_cast<size_t>(face_index)), name);
  if (!r.ok()) throw EngineError(r.error);
  auto out = std::make_unique<ClassicSource>();
  out->source = std::move(source);
  out->face_index = face_index;
  out->prepared = r.source;
  return out;
}

AnimatedFrame ClassicEngine::animate(EngineSource& src, const DrivingSample& d, const Parameters& params) {
  auto& s = static_cast<ClassicSource&>(src);
  const auto t0 = std::chrono::steady_clock::now();
  if (d.new_stream) last_driving_.reset();
  // A tracked face drives; a frame whose face was lost holds the last pose;
  // no driving input at all plays the idle motion.
  std::optional<Landmarks68> driving;
  if (d.face) {
    driving = d.face->landmarks;
    last_driving_ = driving;
  } else if (!d.bgr.empty()) {
    driving = last_driving_;
  }
  IdleMotionParams idle;
  idle.enabled = params.idle_motion && !driving;
  idle.talk = params.talk_cycle;
  auto mesh = std::make_shared<WarpMesh>(animator_->animate(*s.prepared, driving, params.animation, d.time_s, idle));
  if (!params.still_background) mesh->background.reset();
  AnimatedFrame f;
  f.source = s.source;
  f.face_index = s.face_index;
  f.engine_name = name();
  f.mesh = std::move(mesh);
  f.timings = {{"mesh", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()}};
  return f;
}

void ClassicEngine::rezero() {
  animator_->rezero();
}

}  // namespace lp
