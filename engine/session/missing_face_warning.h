#pragma once
// When to tell the user that the driving input shows no face. Such an input
// drives nothing (the classic engine plays its idle motion), so a person needs
// to know why the portrait does not follow: once the face has been missing for
// kWarnAfterS of a playing input, once per time it goes missing.
namespace lp {

class MissingFaceWarning {
 public:
  static constexpr double kWarnAfterS = 2.0;
  // The engine waiting this long for a frame means the input paused or stalled:
  // the count starts again (2 s of a playing input, not of a paused player).
  static constexpr double kPauseS = 0.5;

  // One tracked driving frame. `now_s`: when it was tracked (seconds, any
  // steady origin); `waited_s`: how long the engine waited for it with nothing
  // to track. Time spent tracking and animating is not waiting: on a slow
  // machine (the neural engine on the CPU) frames come seconds apart and the
  // warning must still come. Returns true when the warning is due.
  bool update(bool new_stream, bool has_face, double now_s, double waited_s);

 private:
  double missing_since_ = -1;
  bool reported_ = false;
};

}  // namespace lp
