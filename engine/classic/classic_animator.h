#pragma once
// The classic engine (landmark-driven mesh warp): the narrow API the session
// layer wraps. Works on any machine, with no model download:
//   prepare()  once per portrait: the face mesh, the source's ratios;
//   animate()  once per frame: driving landmarks (or idle motion when there
//              are none) + parameters -> a WarpMesh (pure data);
//   rezero()   the next driving frame becomes the neutral reference.
// The WarpMesh is drawn by the GL pass (app/gl/mesh_warp_pass.h) or by
// render_cpu() (classic/warp_render_cpu.h).
//
// Errors: prepare() never throws; a source without a usable face comes back
// as a result with a message naming the file and the reason.
// Threads: a ClassicAnimator keeps the driving reference, so it belongs to one
// thread (the engine thread). A PreparedClassicSource is immutable and may be
// shared.
#include "classic/face_mesh.h"
#include "classic/idle_motion.h"
#include "classic/motion_transfer.h"
#include "classic/still_background.h"
#include "classic/warp_mesh.h"
#include "common/animation_params.h"
#include "vision/face.h"
#include "vision/openness.h"

#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lp {

class FaceDetector;

struct PreparedClassicSource {
  std::string name;   // for messages (file name)
  cv::Size size;      // source image size
  Face face;          // the animated face
  FaceMesh mesh;
  Openness openness;  // the source face's eye/lip ratios
  cv::Vec3f skin_bgr{150.f, 170.f, 210.f};  // median cheek colour (the mouth's colours follow its chroma)
  std::vector<cv::Vec3f> closed_lid_bgr;     // per mesh.eyelid_columns entry: the colour a closing lid takes on
  MouthOpening mouth;  // the source's own opening (teeth it shows ride with the upper lip); empty when
                       // its lips are together (openness.lip < ClassicAnimator::kSourceLipsApart)
  std::shared_ptr<const StillBackground> background;  // person/background layers; null if segmentation failed
};

struct ClassicPrepareResult {
  std::shared_ptr<const PreparedClassicSource> source;
  std::string error;  // e.g. "s39.jpg: no face found ..."; empty on success
  bool ok() const { return source != nullptr && error.empty(); }
};

class ClassicAnimator {
 public:
  // A source lip ratio from which the portrait shows its mouth's inside (teeth)
  // between the lips: below it, the lips are together and an opened mouth is
  // all shaded cavity.
  static constexpr float kSourceLipsApart = 0.06f;

  // A face the caller already found (session: SourceImage::faces[i]).
  static ClassicPrepareResult prepare(const cv::Mat& source_bgr, const Face& face, const std::string& name = {});
  // Detects faces first and animates faces[face_index] (largest first).
  static ClassicPrepareResult prepare(const cv::Mat& source_bgr, const FaceDetector& detector, int face_index = 0,
                                      const std::string& name = {});

  // One frame. `driving`: landmarks of the driving face in its own frame
  // (pixels of the driving image); nullopt = no driving input: idle motion
  // (if idle.enabled) plus the sliders. The first driving frame after
  // construction or rezero() becomes the reference (relative mode).
  WarpMesh animate(const PreparedClassicSource& source, const std::optional<Landmarks68>& driving,
                   const AnimationParams& params, double time_s, const IdleMotionParams& idle = {});

  void rezero() { rezero_pending_ = true; }
  // Makes `landmarks` the reference now (e.g. a chosen neutral frame).
  void set_reference(const Landmarks68& landmarks);
  bool has_reference() const { return reference_.valid() && !rezero_pending_; }
  const DrivingReference& reference() const { return reference_; }

  // Driving eye ratio treated as "closed": dlib's lids never quite meet, so a
  // blink bottoms out around here rather than at 0.
  static constexpr float kClosedEyeRatio = 0.12f;

 private:
  DrivingReference reference_;
  bool rezero_pending_ = true;
};

}  // namespace lp
