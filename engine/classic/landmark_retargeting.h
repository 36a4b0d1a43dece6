#pragma once
// Retargeting for the classic engine: landmark edits, in source face units
// (FaceFrame: IOD = 1, y down the face), that set how open the eyes and the
// mouth are and apply the expression sliders. The ratios are the vision
// library's (vision/openness.h), so what we set is what a tracker measures.
#include "common/animation_params.h"
#include "vision/face.h"
#include "vision/openness.h"

namespace lp {

// Sets the eye ratio of one eye (0 = points 36-41, the image-left eye;
// 1 = points 42-47) to `target` by moving the upper lid along the eye's normal
// (the lower lid rises by 30% of the closing, as in a real blink). Each upper
// point stands on the lower lid (the polyline corner, lower points, corner) at
// its own place along the eye, raised as far as the wanted opening needs, so
// target 0 puts the upper lid on the lower lid: the eye is really closed. The
// lid never rises into the brow.
void set_eye_openness(Landmarks68& q, int eye, float target);

// Sets the lip ratio to `target` (>= 0) by moving the lower lip, the mouth
// corners partly and the lower jaw with it (a mouth opens by dropping the jaw).
// target 0 closes the lips (inner lips meet). Inner lips never cross.
void set_lip_openness(Landmarks68& q, float target);

// The shape sliders of ExpressionEdit as landmark offsets: smile (mouth corners
// out and up, cheeks/lower lids up), eyebrow (brows up, or down and in), eee
// (wider mouth) and woo (narrower mouth). Openness-type sliders (blink, wink,
// aaa) are folded into the targets by adjust_targets_for_edit().
void apply_expression_edit(Landmarks68& q, const ExpressionEdit& edit);

struct OpennessTargets {
  float right_eye = 0.3f;
  float left_eye = 0.3f;
  float lip = 0.f;
};
// blink (-20 closes both eyes .. +5 opens them wider), wink (0..39 closes the
// image-right eye, points 42-47), aaa/eee/woo (open the mouth).
void adjust_targets_for_edit(OpennessTargets& t, const ExpressionEdit& edit);

}  // namespace lp
