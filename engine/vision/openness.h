#pragma once
// Eye and lip openness ratios from 68 landmarks: the retargeting conditions of
// LivePortrait, measured the same way on our landmark layout.
//
// LivePortrait (utils/retargeting_utils.py) computes them on its 203-point
// landmarks: eye ratio = distance between the upper and lower lid centres
// (points 6-18 and 30-40) over the eye-corner distance (0-12, 24-36); lip
// ratio = distance between the inner upper and lower lip centres (90-102) over
// the mouth width (48-66). dlib's 68-point layout has two lid points per lid
// instead of one lid centre, so:
//   eye (image-left eye)  = mean(|p37-p41|, |p38-p40|) / |p36-p39|
//   eye (image-right eye) = mean(|p43-p47|, |p44-p46|) / |p42-p45|
//   lip                   = |p62-p66| / |p48-p54|      (inner-lip centres / mouth corners)
// Typical values: open eyes ~0.25-0.35, closed < 0.15; closed mouth < 0.05,
// wide open > 0.4. The scale differs a little from the 203-point values; the
// engines map between them where they must.
#include "vision/face.h"

namespace lp {

struct Openness {
  float right_eye = 0.f;  // the eye on the image's left (points 36-41)
  float left_eye = 0.f;   // the eye on the image's right (points 42-47)
  float lip = 0.f;
  float eyes() const { return 0.5f * (right_eye + left_eye); }
};

float eye_openness_right(const Landmarks68& lm);  // points 36-41
float eye_openness_left(const Landmarks68& lm);   // points 42-47
float lip_openness(const Landmarks68& lm);
Openness compute_openness(const Landmarks68& lm);

}  // namespace lp
