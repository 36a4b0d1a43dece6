// When the "no face in the driving input" warning comes: after 2 s of a
// playing input without a face, once per spell, however far apart the engine
// gets to the frames.
#include "session/missing_face_warning.h"

#include <gtest/gtest.h>

using lp::MissingFaceWarning;

namespace {

// Feeds faceless frames `step_s` apart (the engine busy, never waiting) from
// t = 0 and returns the time the warning came, or -1 if it did not by `until_s`.
double warned_at(MissingFaceWarning& w, double step_s, double until_s, double start_s = 0) {
  for (double t = start_s; t <= until_s + 1e-9; t += step_s)
    if (w.update(false, false, t, 0.0)) return t;
  return -1;
}

}  // namespace

TEST(MissingFaceWarning, ComesAfterTwoSecondsOfAPlayingInputAndOnce) {
  MissingFaceWarning w;
  EXPECT_FALSE(w.update(true, false, 0.0, 0.0));  // first frame of a new input
  EXPECT_NEAR(warned_at(w, 0.04, 10.0, 0.04), 2.0, 0.041);
  EXPECT_EQ(warned_at(w, 0.04, 20.0, 10.0), -1) << "warned twice for one spell";
  // A face, then gone again: a new spell, a new warning.
  EXPECT_FALSE(w.update(false, true, 20.0, 0.0));
  EXPECT_NEAR(warned_at(w, 0.04, 30.0, 20.04), 22.04, 0.041);  // the spell starts at 20.04
  // A new input starts a new spell too.
  EXPECT_FALSE(w.update(true, false, 40.0, 0.0));
  EXPECT_NEAR(warned_at(w, 0.04, 50.0, 40.04), 42.0, 0.041);
}

// The neural engine on a CPU takes seconds per frame. The engine never waited
// between them, so the input is playing: the warning comes. (It used to count
// any 0.5 s between tracked frames as a pause and never warned.)
TEST(MissingFaceWarning, ComesWhenTheEngineIsSlow) {
  MissingFaceWarning w;
  EXPECT_FALSE(w.update(true, false, 0.0, 0.0));
  EXPECT_DOUBLE_EQ(warned_at(w, 1.5, 10.0, 1.5), 3.0);
  MissingFaceWarning w12;
  EXPECT_FALSE(w12.update(true, false, 0.0, 0.0));
  EXPECT_DOUBLE_EQ(warned_at(w12, 12.0, 30.0, 12.0), 12.0);
}

// A paused player sends nothing; the engine waits. The count starts again at
// the first frame after the pause.
TEST(MissingFaceWarning, APauseStartsTheCountAgain) {
  MissingFaceWarning w;
  EXPECT_FALSE(w.update(true, false, 0.0, 0.0));
  EXPECT_FALSE(w.update(false, false, 1.5, 0.04));
  EXPECT_FALSE(w.update(false, false, 11.5, 10.0)) << "10 s of pause counted as missing face";
  EXPECT_FALSE(w.update(false, false, 13.0, 0.04));
  EXPECT_TRUE(w.update(false, false, 13.6, 0.04));  // 2.1 s of playing since the pause
  // Waits of a slow-playing input (0.4 s per frame) are not a pause.
  MissingFaceWarning slow;
  EXPECT_FALSE(slow.update(true, false, 0.0, 0.0));
  double t = 0;
  bool warned = false;
  while (t < 2.5 && !warned) warned = slow.update(false, false, t += 0.4, 0.4);
  EXPECT_TRUE(warned);
  EXPECT_NEAR(t, 2.0, 0.41);
}
