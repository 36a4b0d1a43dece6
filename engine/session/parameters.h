#pragma once
// Everything the UI can change that the engine thread reads for a frame. The UI
// edits its own copy and publishes it whole (Session::set_parameters); the engine
// thread takes an immutable snapshot per frame, so no lock is held while a
// frame is processed and a half-edited state is never seen.
#include "common/animation_params.h"
#include "common/crop_params.h"

#include <string>

namespace lp {

enum class EngineKind { Classic = 0, Neural = 1 };

inline const char* engine_kind_name(EngineKind k) {
  return k == EngineKind::Neural ? "neural" : "classic";
}

struct Parameters {
  AnimationParams animation;
  CropParams source_crop = CropParams::source();
  CropParams driving_crop = CropParams::driving();
  EngineKind engine = EngineKind::Classic;
  std::string device = "auto";      // neural: auto | cpu | cuda
  std::string precision = "auto";   // neural: auto | fp32 | fp16
  bool mirror_webcam = true;        // webcams feel natural mirrored
  bool idle_motion = true;          // classic: procedural motion when no driving input
  bool talk_cycle = false;          // classic idle: add a talking mouth cycle
  bool still_background = true;     // classic: only the person moves, the background around them stays
  bool debug_overlay = false;       // draw crop box + landmarks on the views
  bool color_match = false;         // neural: match the crop's colour to the source at the seam
  int face_index = 0;               // which face of a multi-face source is animated
};

}  // namespace lp
