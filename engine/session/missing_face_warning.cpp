#include "missing_face_warning.h"

namespace lp {

bool MissingFaceWarning::update(bool new_stream, bool has_face, double now_s, double waited_s) {
  if (new_stream || has_face) {
    missing_since_ = -1;
    reported_ = false;
    if (has_face) return false;
  }
  if (missing_since_ < 0 || waited_s > kPauseS) missing_since_ = now_s;
  if (reported_ || now_s - missing_since_ < kWarnAfterS) return false;
  reported_ = true;
  return true;
}

}  // namespace lp
