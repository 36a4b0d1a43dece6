#pragma once
// The engine interface: what the session needs from an animation engine.
// Both engines implement it (ClassicEngine: landmark mesh warp; NeuralEngine:
// LivePortrait), so the session can switch between them between two frames.
//
//   prepare()  once per source portrait, on a worker thread (detect, crop,
//              per-source model work); may fail with a message.
//   animate()  once per driving frame, on the engine thread.
//   rezero()   the next driving frame becomes the neutral reference.
#include "parameters.h"
#include "vision/crop_transform.h"
#include "vision/face.h"
#include "vision/openness.h"
#include "media/motion_file.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lp {

struct WarpMesh;  // engine/classic/classic_animator.h

// A loaded, validated portrait with every face found in it. Immutable once
// made and shared between threads with shared_ptr<const SourceImage>.
struct SourceImage {
  std::string path;
  cv::Mat bgr;               // full resolution, CV_8UC3
  std::vector<Face> faces;   // largest first; never empty for a usable source
};

// One driving input sample as the engines see it: the frame (empty when there
// is no driving input: the classic engine then plays its idle motion), the
// tracked face in it, and its openness ratios.
struct DrivingSample {
  cv::Mat bgr;
  std::optional<Face> face;
  Openness openness;
  double time_s = 0;          // session clock, seconds (drives idle motion)
  std::uint64_t seq = 0;
  std::int64_t capture_ns = 0;  // steady-clock capture timestamp (latency)
  bool new_stream = false;    // first frame of a new input: reset the reference
  // Motion templates (neural engine): replay saved keypoint parameters instead
  // of running the motion extractor, or report them for saving.
  std::optional<MotionKeypoints> motion;
  bool want_motion = false;
};

struct StageTime {
  const char* name;
  double ms;
};

// The result of one animate() call: data for the UI/CLI to draw. The neural
// engine returns a 512x512 crop plus its paste-back transform; the classic
// engine returns a mesh to warp the source with.
struct AnimatedFrame {
  std::shared_ptr<const SourceImage> source;  // null: no source, show the driving frame
  int face_index = 0;
  std::string engine_name;

  cv::Mat crop_rgb;            // neural: 512x512 CV_8UC3 RGB
  CropTransform crop;          // neural: source crop (M_c2o pastes it back)
  bool paste_back = true;      // neural: false = show the crop alone
  cv::Vec3f color_shift{0, 0, 0};  // optional colour match of the crop (RGB, 0..1)

  std::shared_ptr<const WarpMesh> mesh;  // classic

  cv::Mat driving_bgr;                 // the driving frame this was made from
  std::optional<Face> driving_face;
  std::optional<CropTransform> driving_crop;

  std::optional<MotionKeypoints> driving_motion;  // neural, when DrivingSample::want_motion

  std::vector<StageTime> timings;
  double total_ms = 0;
  std::int64_t capture_ns = 0;
  std::uint64_t seq = 0;
};

// Engine-specific prepared state of one source (per engine).
class EngineSource {
 public:
  virtual ~EngineSource() = default;
  std::shared_ptr<const SourceImage> source;
  int face_index = 0;
};

// Raised by prepare() with a message fit for the UI ("s39.jpg: no face found").
struct EngineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;        // shown in the UI
  virtual EngineKind kind() const = 0;
  virtual std::string device() const { return "CPU"; }
  virtual std::unique_ptr<EngineSource> prepare(std::shared_ptr<const SourceImage> source,
                                                int face_index, const Parameters& params) = 0;
  virtual AnimatedFrame animate(EngineSource& source, const DrivingSample& driving,
                                const Parameters& params) = 0;
  virtual void rezero() = 0;
  // A status line to show (e.g. "fp16 produced NaN, switched to fp32").
  virtual std::string status() const { return {}; }
};

}  // namespace lp
