#pragma once
// ClassicEngine: the landmark-driven mesh warp behind the Engine interface.
// The session hands it tracked driving faces; it returns a WarpMesh that the
// app draws with shaders/mesh_warp.* and the CLI with render_cpu().
#include "engine.h"

#include <memory>
#include <optional>

namespace lp {

class ClassicAnimator;
class FaceDetector;

class ClassicEngine : public Engine {
 public:
  explicit ClassicEngine(std::shared_ptr<const FaceDetector> detector);
  ~ClassicEngine() override;

  std::string name() const override { return "Classic (mesh warp)"; }
  EngineKind kind() const override { return EngineKind::Classic; }
  std::unique_ptr<EngineSource> prepare(std::shared_ptr<const SourceImage> source, int face_index,
                                        const Parameters& params) override;
  AnimatedFrame animate(EngineSource& source, const DrivingSample& driving, const Parameters& params) override;
  void rezero() override;

 private:
  std::shared_ptr<const FaceDetector> detector_;
  std::unique_ptr<ClassicAnimator> animator_;
  std::optional<Landmarks68> last_driving_;  // held while the driving face is briefly lost
};

}  // namespace lp
