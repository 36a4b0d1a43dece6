#include "classic/classic_animator.h"

#include "classic/inner_lip_curve.h"
#include "classic/landmark_retargeting.h"
#include "classic/lid_curve.h"
#include "vision/face_detector.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>

namespace lp {

namespace {

constexpr float kDegToRad = 3.14159265358979f / 180.f;
// Closing lids. The open eye's lashes and crease must not show through a
// closed lid, and the closed lid must read as lit skin (a dark band above the
// lash line reads as an open eye, to people and to the landmark detector): a
// fully closed lid takes kLidTint of a skin colour, a touch darker at the top
// of the lashes than at the crease.
constexpr float kLidTint = 0.9f;
constexpr float kLashRowShade = 0.9f;
constexpr float kCreaseRowShade = 1.05f;
// A closed lid's own skin colour: the median of a square this share of the
// inter-ocular distance around where the crease row borrows from; it replaces
// the cheek colour in full when it is this much lighter (luma ratio - 1).
constexpr float kLidSkinRadius = 0.03f;
constexpr float kLidSkinLighter = 0.1f;
// The lower lid's rim (waterline, lower lashes) would show as a second dark
// band under a closed eye: its texture slides down by this share of the lid
// opening as the eye closes, so the closed line is the one dark line.
constexpr float kLowerLidSlide = 0.3f;

std::string label(const std::string& name) { return name.empty() ? std::string("source image") : name; }

// How open a driving eye is relative to the reference: 1 = as open as in the
// reference frame, 0 = closed.
float eye_fraction(float ratio, float reference) {
  const float span = reference - ClassicAnimator::kClosedEyeRatio;
  if (span < 0.03f) return 1.f;  // the reference eye is (almost) closed: no scale to compare with
  return std::clamp((ratio - ClassicAnimator::kClosedEyeRatio) / span, 0.f, 1.3f);
}

// Per-channel median colour of the source in squares of `radius` pixels
// around `centres` (clipped to the image); `fallback` if none is inside.
cv::Vec3f median_colour(const cv::Mat& bgr, std::initializer_list<cv::Point2f> centres, float radius,
                        const cv::Vec3f& fallback) {
  std::vector<uchar> ch[3];
  for (const cv::Point2f& c : centres) {
    const int x0 = std::max(0, static_cast<int>(c.x - radius)), x1 = std::min(bgr.cols - 1, static_cast<int>(c.x + radius));
    const int y0 = std::max(0, static_cast<int>(c.y - radius)), y1 = std::min(bgr.rows - 1, static_cast<int>(c.y + radius));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const uchar* p = bgr.ptr<uchar>(y) + x * bgr.channels();
        for (int k = 0; k < 3; ++k) ch[k].push_back(p[k]);
      }
  }
  if (ch[0].empty()) return fallback;
  cv::Vec3f out;
  for (int k = 0; k < 3; ++k) {
    std::nth_element(ch[k].begin(), ch[k].begin() + ch[k].size() / 2, ch[k].end());
    out[k] = ch[k][ch[k].size() / 2];
  }
  return out;
}

// Median colour of two small patches under the eyes, beside the nose: the
// face's skin tone, lit as the eye region is.
cv::Vec3f cheek_colour(const cv::Mat& bgr, const FaceFrame& frame) {
  const cv::Vec3f median = median_colour(bgr, {frame.to_image({-0.45f, 0.6f}), frame.to_image({0.45f, 0.6f})},
                                         std::max(1.f, 0.1f * frame.scale), cv::Vec3f(150.f, 170.f, 210.f) / 0.95f);
  return 0.95f * median;
}

float luma(const cv::Vec3f& bgr) { return 0.114f * bgr[0] + 0.587f * bgr[1] + 0.299f * bgr[2]; }

// The mouth interior takes on the portrait's colourfulness: a black-and-white
// photo gets a grey mouth, not a purple hole. Skin's chroma (max - min of
// BGR) is about 60 in a colour portrait; at 0 the colours are their greys.
void set_mouth_colours(const cv::Vec3f& skin_bgr, WarpMesh& mesh) {
  const float chroma = std::max({skin_bgr[0], skin_bgr[1], skin_bgr[2]}) - std::min({skin_bgr[0], skin_bgr[1], skin_bgr[2]});
  const float keep = std::clamp(chroma / 60.f, 0.f, 1.f);
  for (cv::Vec3f* c : {&mesh.mouth_top_bgr, &mesh.mouth_bottom_bgr, &mesh.mouth_teeth_bgr, &mesh.mouth_tongue_bgr}) {
    const float grey = luma(*c);
    for (int k = 0; k < 3; ++k) (*c)[k] = grey + ((*c)[k] - grey) * keep;
  }
}

// Where an upper-lid vertex samples the source when its eye is closed
// (`closure` 0..1): the lid band borrows skin from above, because the skin
// that was folded into the crease when the eye was open is not in the picture.
// The lashes' row slides up towards the crease, the crease towards the brow.
cv::Point2f closing_lid_texcoord(const FaceMesh& mesh, const EyelidColumn& col, bool crease_row, float closure) {
  if (!crease_row) return mesh.vertices[col.lash] + (mesh.vertices[col.crease] - mesh.vertices[col.lash]) * (0.6f * closure);
  const int brow = col.eye == 0 ? 19 : 24;
  const cv::Point2f brow_px = (mesh.vertices[brow] + mesh.vertices[brow + (col.eye == 0 ? 1 : -1)]) * 0.5f;
  return mesh.vertices[col.crease] + (brow_px - mesh.vertices[col.crease]) * (0.3f * closure);
}

// The colour each eyelid column's closed lid takes on (before its row's
// shade): the cheek's, because the lid skin above the crease, where the
// closed lid borrows its texture, is often in the eye socket's shadow, and a
// dark closed lid reads as an open eye. Where that lid skin is lighter than
// the cheek (a cheek in shadow or flushed, as on the default portrait), the
// column takes the lid skin's own colour instead of a darker, greyer patch.
std::vector<cv::Vec3f> closed_lid_colours(const cv::Mat& bgr, const FaceMesh& mesh, const cv::Vec3f& cheek) {
  std::vector<cv::Vec3f> out;
  const float radius = std::max(1.f, kLidSkinRadius * mesh.frame.scale);
  for (const EyelidColumn& col : mesh.eyelid_columns) {
    if (col.lash < 0 || col.crease < 0) {
      out.push_back(cheek);
      continue;
    }
    const cv::Vec3f lid = median_colour(bgr, {closing_lid_texcoord(mesh, col, true, 1.f)}, radius, cheek);
    const float w = std::clamp((luma(lid) / std::max(1.f, luma(cheek)) - 1.f) / kLidSkinLighter, 0.f, 1.f);
    out.push_back(cheek + (lid - cheek) * w);
  }
  return out;
}

// The opening between the inner lips at vertex positions `at` (the source's
// or the driven ones).
MouthOpening inner_lip_opening(const FaceMesh& mesh, const std::vector<cv::Point2f>& at) {
  std::vector<cv::Point2f> upper, lower;
  for (int v : InnerLipCurve::upper_chain(mesh.inner_lip_midpoints)) upper.push_back(at[v]);
  for (int v : InnerLipCurve::lower_chain(mesh.inner_lip_midpoints)) lower.push_back(at[v]);
  return MouthOpening::from_chains(upper, lower);
}

// Fold guard: a driving face can move landmarks further than the mesh can
// follow (a far-side brow crossing the jaw in a strong head turn). Vertices of
// folded triangles are pulled back towards the head-pose-only shape (the rest
// shape moved rigidly, which cannot fold) until no triangle is mirrored.
void unfold(const FaceMesh& mesh, const HeadPose& pose, std::vector<cv::Point2f>& positions) {
  if (count_folded_triangles(mesh.vertices, positions, mesh.triangles) == 0) return;
  const std::vector<cv::Point2f> rigid = apply_head_pose(mesh, mesh.face_units, pose);
  std::vector<char> mark(positions.size());
  auto area = [](const cv::Point2f& a, const cv::Point2f& b, const cv::Point2f& c) {
    return (b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y);
  };
  for (int iter = 0; iter < 8; ++iter) {
    std::fill(mark.begin(), mark.end(), 0);
    bool any = false;
    for (const auto& t : mesh.triangles) {
      if (!is_folded_triangle(mesh.vertices, positions, t)) continue;
      // Leave alone what the rigid shape folds too: pulling back cannot help.
      if ((area(rigid[t[0]], rigid[t[1]], rigid[t[2]]) > 0) !=
          (area(mesh.vertices[t[0]], mesh.vertices[t[1]], mesh.vertices[t[2]]) > 0))
        continue;
      mark[t[0]] = mark[t[1]] = mark[t[2]] = 1;
      any = true;
    }
    if (!any) return;
    const float keep = iter < 7 ? 0.5f : 0.f;
    for (size_t v = 0; v < positions.size(); ++v)
      if (mark[v]) positions[v] = rigid[v] + (positions[v] - rigid[v]) * keep;
  }
}

}  // namespace

ClassicPrepareResult ClassicAnimator::prepare(const cv::Mat& source_bgr, const Face& face, const std::string& name) {
  ClassicPrepareResult r;
  if (source_bgr.empty() || (source_bgr.type() != CV_8UC3 && source_bgr.type() != CV_8UC4)) {
    r.error = label(name) + ": not a colour image (expected 8-bit BGR)";
    return r;
  }
  FaceMeshResult mesh = build_face_mesh(face.landmarks, source_bgr.size());
  if (!mesh.ok()) {
    r.error = label(name) + ": " + mesh.error;
    return r;
  }
  auto src = std::make_shared<PreparedClassicSource>();
  src->name = name;
  src->size = source_bgr.size();
  src->face = face;
  src->mesh = std::move(mesh.mesh);
  src->openness = compute_openness(face.landmarks);
  src->skin_bgr = cheek_colour(source_bgr, src->mesh.frame);
  src->closed_lid_bgr = closed_lid_colours(source_bgr, src->mesh, src->skin_bgr);
  if (src->openness.lip >= kSourceLipsApart) src->mouth = inner_lip_opening(src->mesh, src->mesh.vertices);
  src->background = separate_still_background(source_bgr, src->mesh);
  r.source = std::move(src);
  return r;
}

ClassicPrepareResult ClassicAnimator::prepare(const cv::Mat& source_bgr, const FaceDetector& detector, int face_index,
                                              const std::string& name) {
  DetectOptions opts;
  opts.source_name = name;
  const DetectionResult det = detector.detect(source_bgr, opts);
  if (!det.ok()) {
    ClassicPrepareResult r;
    r.error = det.message.empty() ? label(name) + ": " + to_string(det.status) : det.message;
    return r;
  }
  if (face_index < 0 || face_index >= static_cast<int>(det.faces.size())) {
    ClassicPrepareResult r;
    r.error = label(name) + ": face " + std::to_string(face_index) + " requested, but only " +
              std::to_string(det.faces.size()) + " found";
    return r;
  }
  return prepare(source_bgr, det.faces[face_index], name);
}

void ClassicAnimator::set_reference(const Landmarks68& landmarks) {
  reference_ = DrivingReference(landmarks);
  rezero_pending_ = false;
}

WarpMesh ClassicAnimator::animate(const PreparedClassicSource& src, const std::optional<Landmarks68>& driving,
                                  const AnimationParams& params, double time_s, const IdleMotionParams& idle) {
  const FaceMesh& mesh = src.mesh;
  Landmarks68 q;
  std::copy(mesh.face_units.begin(), mesh.face_units.begin() + kNumLandmarks, q.begin());
  const Openness& so = src.openness;
  const float mult = params.driving_multiplier;
  const bool relative = params.relative_motion;
  const AnimationRegion region = params.region;
  const bool eyes_driven = region == AnimationRegion::All || region == AnimationRegion::Expression ||
                           region == AnimationRegion::Eyes;
  const bool lips_driven = region == AnimationRegion::All || region == AnimationRegion::Expression ||
                           region == AnimationRegion::Lips;

  HeadPose pose;
  OpennessTargets auto_t{so.right_eye, so.left_eye, so.lip};

  if (driving) {
    if (rezero_pending_ || !reference_.valid()) set_reference(*driving);
    const DrivingMotion dm = reference_.motion_of(*driving);
    const Openness d = compute_openness(*driving);
    const Openness& r = reference_.openness();
    // The features' shape always moves relative to the reference frame, also
    // in absolute mode: 68 landmarks cannot tell a face's build from its
    // expression, so copying the driving face's shape would paste another
    // person's mouth and brows onto the portrait (an adult's lower lip below a
    // child's chin). Absolute mode takes what landmarks do measure absolutely:
    // the eye and mouth openness and the head roll (below).
    for (int i = 0; i < kNumLandmarks; ++i)
      if (region_has_expression(region, i)) q[i] += dm.expression[i] * mult;
    if (region_has_pose(region)) {
      pose = dm.pose;
      if (!relative) pose.roll = FaceFrame::from_landmarks(*driving).roll - mesh.frame.roll;
    }
    if (eyes_driven) {
      if (relative) {
        auto_t.right_eye = so.right_eye * std::max(0.f, 1.f + mult * (eye_fraction(d.right_eye, r.right_eye) - 1.f));
        auto_t.left_eye = so.left_eye * std::max(0.f, 1.f + mult * (eye_fraction(d.left_eye, r.left_eye) - 1.f));
      } else {
        auto_t.right_eye = d.right_eye;
        auto_t.left_eye = d.left_eye;
      }
    }
    if (lips_driven) {
      if (relative) {
        // normalize_lip (official flag_normalize_lip): a source with parted
        // lips is animated from closed lips.
        const float base = params.normalize_lip && so.lip > 0.03f ? 0.f : so.lip;
        auto_t.lip = std::max(0.f, base + mult * (d.lip - r.lip));
      } else {
        auto_t.lip = d.lip;
      }
    }
  } else if (idle.enabled) {
    const IdleSample s = idle_motion(time_s, idle);
    pose.yaw = s.yaw_deg * kDegToRad;
    pose.pitch = s.pitch_deg * kDegToRad;
    pose.roll = s.roll_deg * kDegToRad;
    pose.translation = {s.dx, s.dy};
    pose.scale = s.scale;
    auto_t.right_eye = so.right_eye * s.eye_open_fraction;
    auto_t.left_eye = so.left_eye * s.eye_open_fraction;
    auto_t.lip = so.lip + s.lip_open;
  }

  OpennessTargets t = auto_t;
  if (!params.eye_open_auto) t.right_eye = t.left_eye = params.eye_open;
  if (!params.lip_open_auto) t.lip = params.lip_open;

  const ExpressionEdit& e = params.edit;
  if (e.any()) {
    apply_expression_edit(q, e);
    adjust_targets_for_edit(t, e);
    pose.yaw += e.head_yaw * kDegToRad;
    pose.pitch += e.head_pitch * kDegToRad;
    pose.roll += e.head_roll * kDegToRad;
  }
  set_eye_openness(q, 0, t.right_eye);
  set_eye_openness(q, 1, t.left_eye);
  set_lip_openness(q, t.lip);

  // All vertices in face units: landmarks as computed, the others following
  // their landmarks, the pupils at the driven eye centres (+ pupil sliders).
  std::vector<cv::Point2f> qv = mesh.face_units;
  for (int i = 0; i < kNumLandmarks; ++i) qv[i] = q[i];
  for (int v = kNumLandmarks; v < mesh.num_vertices(); ++v) {
    const VertexInfluence& inf = mesh.influence[v];
    for (int k = 0; k < 3; ++k)
      if (inf.weight[k] != 0.f) qv[v] += (q[inf.landmark[k]] - mesh.face_units[inf.landmark[k]]) * inf.weight[k];
  }
  // The inner lips' midpoints lie on the driven contour's spline.
  for (int k = 0; k < InnerLipCurve::kPoints; ++k)
    if (mesh.inner_lip_midpoints[k] >= 0) qv[mesh.inner_lip_midpoints[k]] = InnerLipCurve::midpoint(&q[60], k);
  // Synthesised lid margins lie on the driven lid's curve; the rows above them
  // follow their share of it (the influence above gave the brow's share).
  const UpperLidCurve lid_curves[2] = {UpperLidCurve::fit(&qv[36]), UpperLidCurve::fit(&qv[42])};
  for (const EyelidColumn& col : mesh.eyelid_columns) {
    if (col.curve_side < 0 || !lid_curves[col.eye].valid()) continue;
    qv[col.margin] = lid_curves[col.eye].between_corner_and_lid(col.curve_side);
    const cv::Point2f moved = qv[col.margin] - mesh.face_units[col.margin];
    if (col.lash >= 0) qv[col.lash] += moved * (1.f - EyelidColumn::kLashRow);
    if (col.crease >= 0) qv[col.crease] += moved * (1.f - EyelidColumn::kCreaseRow);
  }
  for (int eye = 0; eye < 2; ++eye) {
    const int f = eye == 0 ? 36 : 42;
    const int pv = eye == 0 ? mesh.pupil_right : mesh.pupil_left;
    const cv::Point2f centre = (q[f + 1] + q[f + 2] + q[f + 4] + q[f + 5]) * 0.25f;
    const cv::Point2f rest = (mesh.face_units[f + 1] + mesh.face_units[f + 2] + mesh.face_units[f + 4] +
                              mesh.face_units[f + 5]) * 0.25f;
    qv[pv] = mesh.face_units[pv] + (centre - rest);
    if (e.pupil_x != 0.f || e.pupil_y != 0.f) {
      const float src_ratio = eye == 0 ? so.right_eye : so.left_eye;
      const float open = std::clamp((eye == 0 ? t.right_eye : t.left_eye) / std::max(src_ratio, 0.05f), 0.f, 1.f);
      const float len = static_cast<float>(cv::norm(q[f + 3] - q[f]));
      qv[pv] += cv::Point2f(e.pupil_x / 15.f * 0.18f * len, e.pupil_y / 15.f * 0.12f * len) * open;
    }
    if (lid_curves[eye].valid()) qv[pv] = lid_curves[eye].clamp_inside(qv[pv]);
  }

  WarpMesh out;
  out.size = src.size;
  out.positions = apply_head_pose(mesh, qv, pose);
  unfold(mesh, pose, out.positions);
  out.texcoords = mesh.vertices;
  out.tint.assign(mesh.vertices.size(), 0.f);
  out.tint_bgr.assign(mesh.vertices.size(), src.skin_bgr);
  out.triangles = mesh.triangles;
  out.eye_triangles = mesh.eye_triangles;
  out.mouth_triangles = mesh.mouth_triangles;
  for (int v : InnerLipCurve::contour(mesh.inner_lip_midpoints)) out.mouth_polygon.push_back(out.positions[v]);
  out.mouth_opening = inner_lip_opening(mesh, out.positions);
  out.source_mouth = src.mouth;
  out.mouth_darkness = std::clamp((t.lip - so.lip) / 0.06f, 0.f, 1.f);
  set_mouth_colours(src.skin_bgr, out);
  // Closing lids: the upper lid band borrows skin from above
  // (closing_lid_texcoord) and takes on the lid colour, so the lashes and the
  // crease of the open eye do not show through; the lower lid's rim slides down
  // out of the closed line.
  for (int eye = 0; eye < 2; ++eye) {
    const float src_ratio = eye == 0 ? so.right_eye : so.left_eye;
    const float target = eye == 0 ? t.right_eye : t.left_eye;
    if (src_ratio < 0.05f || target >= src_ratio) continue;
    const float closure = std::clamp(1.f - target / src_ratio, 0.f, 1.f);
    for (size_t i = 0; i < mesh.eyelid_columns.size(); ++i) {
      const EyelidColumn& col = mesh.eyelid_columns[i];
      if (col.eye != eye || col.lash < 0 || col.crease < 0) continue;
      for (bool crease_row : {false, true}) {
        const int v = crease_row ? col.crease : col.lash;
        out.texcoords[v] = closing_lid_texcoord(mesh, col, crease_row, closure);
        out.tint[v] = kLidTint * closure;
        const float shade = crease_row ? kCreaseRowShade : kLashRowShade;
        for (int c = 0; c < 3; ++c) out.tint_bgr[v][c] = std::min(255.f, src.closed_lid_bgr[i][c] * shade);
      }
    }
    const int f = eye == 0 ? 36 : 42;
    for (auto [up, low] : {std::pair{f + 1, f + 5}, {f + 2, f + 4}})
      out.texcoords[low] += (mesh.vertices[low] - mesh.vertices[up]) * (kLowerLidSlide * closure);
  }
  out.mask = mesh.mask;
  out.background = src.background;
  out.eye_open_right = t.right_eye;
  out.eye_open_left = t.left_eye;
  out.lip_open = t.lip;
  return out;
}

}  // namespace lp
