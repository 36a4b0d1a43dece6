#include "classic/face_mesh.h"

#include "classic/inner_lip_curve.h"
#include "classic/lid_curve.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace lp {

namespace {

constexpr float kPi = 3.14159265358979f;

// Falloff rings in multiples of the face oval, with their share of the head
// motion; the anchor ring (weight 0) is the region border.
struct RingSpec {
  float radius;
  int count;
  float pose_weight;
  MeshVertexKind kind;
};
constexpr RingSpec kRings[] = {
    {1.35f, 16, 0.45f, MeshVertexKind::Ring},
    {1.70f, 20, 0.12f, MeshVertexKind::Ring},
    {2.10f, 24, 0.0f, MeshVertexKind::Anchor},
};
constexpr float kMaskInner = 0.85f;  // feather starts at 85% of the anchor ellipse

float signed_area(const cv::Point2f& a, const cv::Point2f& b, const cv::Point2f& c) {
  return 0.5f * ((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y));
}

struct Builder {
  FaceMesh& m;
  float min_dist_px;
  cv::Rect2f keep_rect;  // extras outside it are dropped (the border takes their role)

  bool too_close(const cv::Point2f& p) const {
    for (const auto& v : m.vertices)
      if (std::hypot(v.x - p.x, v.y - p.y) < min_dist_px) return true;
    return false;
  }

  // Adds a synthesised vertex given in face units; returns its index or -1.
  int add_face_units(const cv::Point2f& q, MeshVertexKind kind, float pose_weight, bool check_inside = true) {
    const cv::Point2f p = m.frame.to_image(q);
    if (check_inside && !keep_rect.contains(p)) return -1;
    if (too_close(p)) return -1;
    m.vertices.push_back(p);
    m.face_units.push_back(q);
    m.kinds.push_back(kind);
    m.pose_weight.push_back(pose_weight);
    m.influence.emplace_back();
    return static_cast<int>(m.vertices.size()) - 1;
  }

  void add_border(const cv::Point2f& p) {
    for (const auto& v : m.vertices)  // only exact duplicates are skipped: the border must be closed
      if (std::abs(v.x - p.x) < 0.25f && std::abs(v.y - p.y) < 0.25f) return;
    m.vertices.push_back(p);
    m.face_units.push_back(m.frame.to_face(p));
    m.kinds.push_back(MeshVertexKind::Border);
    m.pose_weight.push_back(0.f);
    m.influence.emplace_back();
  }
};

// Nearest three jaw/brow landmarks (face units), inverse-square weighted,
// scaled to `attenuation`.
VertexInfluence nearest_contour_influence(const std::vector<cv::Point2f>& q, const cv::Point2f& p,
                                          float attenuation) {
  std::array<std::pair<float, int>, 27> d;
  for (int i = 0; i < 27; ++i) d[i] = {static_cast<float>(std::hypot(q[i].x - p.x, q[i].y - p.y)), i};
  std::partial_sort(d.begin(), d.begin() + 3, d.end());
  VertexInfluence inf;
  float sum = 0;
  for (int k = 0; k < 3; ++k) {
    inf.landmark[k] = d[k].second;
    inf.weight[k] = 1.f / (d[k].first * d[k].first + 0.02f);
    sum += inf.weight[k];
  }
  for (auto& w : inf.weight) w *= attenuation / sum;
  return inf;
}

bool has_edge(const std::vector<cv::Vec3i>& tris, int a, int c) {
  for (const auto& t : tris)
    for (int k = 0; k < 3; ++k)
      if ((t[k] == a && t[(k + 1) % 3] == c) || (t[k] == c && t[(k + 1) % 3] == a)) return true;
  return false;
}

// Do segments p1-p2 and p3-p4 cross at an interior point of both?
bool segments_cross(const cv::Point2f& p1, const cv::Point2f& p2, const cv::Point2f& p3, const cv::Point2f& p4) {
  const float d1 = signed_area(p3, p4, p1), d2 = signed_area(p3, p4, p2);
  const float d3 = signed_area(p1, p2, p3), d4 = signed_area(p1, p2, p4);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

// Makes a-c an edge of the triangulation by flipping the edges that cross it
// (each flip of a convex quad removes one crossing; Sloan 1993).
void enforce_edge(std::vector<cv::Vec3i>& tris, const std::vector<cv::Point2f>& pts, int a, int c) {
  for (int iter = 0; iter < 32 && !has_edge(tris, a, c); ++iter) {
    bool flipped = false;
    for (size_t i = 0; i < tris.size() && !flipped; ++i) {
      for (int k = 0; k < 3 && !flipped; ++k) {
        const int p = tris[i][k], q = tris[i][(k + 1) % 3], r = tris[i][(k + 2) % 3];
        if (p == a || p == c || q == a || q == c) continue;
        if (!segments_cross(pts[a], pts[c], pts[p], pts[q])) continue;
        // The other triangle on edge p-q.
        for (size_t j = 0; j < tris.size(); ++j) {
          if (j == i) continue;
          int s = -1, hits = 0;
          for (int l = 0; l < 3; ++l) {
            if (tris[j][l] == p || tris[j][l] == q)
              ++hits;
            else
              s = tris[j][l];
          }
          if (hits != 2 || s < 0) continue;
          // Flip only a convex quad: r-s must cross p-q.
          if (!segments_cross(pts[r], pts[s], pts[p], pts[q])) break;
          tris[i] = cv::Vec3i(r, s, p);
          tris[j] = cv::Vec3i(s, r, q);
          flipped = true;
          break;
        }
      }
    }
    if (!flipped) return;
  }
}

}  // namespace

FaceMeshResult build_face_mesh(const Landmarks68& lm, const cv::Size& size) {
  FaceMeshResult result;
  FaceMesh& m = result.mesh;
  m.image_size = size;
  if (size.width < 8 || size.height < 8) {
    result.error = "source image too small for a face mesh";
    return result;
  }
  for (const auto& p : lm)
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
      result.error = "face landmarks are not finite";
      return result;
    }
  m.frame = FaceFrame::from_landmarks(lm);
  if (m.frame.scale < 4.f) {
    result.error = "face too small to animate (eyes " + std::to_string(m.frame.scale) + " px apart)";
    return result;
  }

  // Landmarks first: vertex i == landmark i.
  for (int i = 0; i < kNumLandmarks; ++i) {
    m.vertices.push_back(lm[i]);
    m.face_units.push_back(m.frame.to_face(lm[i]));
    m.kinds.push_back(MeshVertexKind::Landmark);
    m.pose_weight.push_back(1.f);
    m.influence.emplace_back();
  }
  Landmarks68 q;
  std::copy(m.face_units.begin(), m.face_units.begin() + kNumLandmarks, q.begin());
  m.head = HeadModel::from_face_units(q);
  const HeadModel& h = m.head;

  const float margin = std::max(2.f, 0.004f * std::min(size.width, size.height));
  Builder b{m, std::max(1.5f, 0.025f * m.frame.scale),
            cv::Rect2f(margin, margin, size.width - 1 - 2 * margin, size.height - 1 - 2 * margin)};

  // Pupils: always kept (even off-image), the eye interior fans around them.
  // Eye centre = mean of the four lid points (not the corners), so that a
  // closed eye (upper lid on the lower) puts it on the lid line too.
  auto eye_centre = [&](int first) {
    return (q[first + 1] + q[first + 2] + q[first + 4] + q[first + 5]) * 0.25f;
  };
  m.pupil_right = b.add_face_units(eye_centre(36), MeshVertexKind::Pupil, 1.f, false);
  m.pupil_left = b.add_face_units(eye_centre(42), MeshVertexKind::Pupil, 1.f, false);
  if (m.pupil_right < 0 || m.pupil_left < 0) {
    result.error = "eye landmarks are degenerate";
    return result;
  }

  // Upper lid: columns at the lid points and halfway between them and the
  // corners (on the UpperLidCurve), each with two vertices above it.
  struct Attached {
    int vertex, margin;
    float share;  // of the margin's motion it follows
  };
  std::vector<Attached> attached;
  for (int e : {0, 1}) {
    const int f = 36 + 6 * e;
    const UpperLidCurve curve = UpperLidCurve::fit(&m.face_units[f]);
    if (!curve.valid()) continue;
    // Brows above: the corners' columns take the outer/inner brow points.
    const int brow_of[4] = {e == 0 ? 18 : 22, e == 0 ? 19 : 23, e == 0 ? 20 : 24, e == 0 ? 21 : 25};
    for (int c = 0; c < 4; ++c) {
      EyelidColumn col;
      col.eye = e;
      col.brow = brow_of[c];
      if (c == 1 || c == 2) {
        col.margin = f + c;
      } else {
        col.curve_side = c == 0 ? 0 : 1;
        col.margin = b.add_face_units(curve.between_corner_and_lid(col.curve_side), MeshVertexKind::Eyelid, 1.f, false);
        if (col.margin < 0) continue;
      }
      // Two rows between the lid margin and the brow above it: the top of the
      // lashes (1/5 of the way) and the crease (1/2). Each follows margin and
      // brow in proportion to where it sits, so lid, lashes, crease and brow
      // keep their order whatever moves (no folds), the lashes move with the
      // lid instead of being stretched over a closed eye, and the lid skin
      // below the crease covers the eye.
      const cv::Point2f at = m.face_units[col.margin];
      const float to_brow = std::max(0.05f, (q[col.brow] - at).dot(curve.n));
      for (int row = 0; row < 2; ++row) {
        const float frac = row == 0 ? EyelidColumn::kLashRow : EyelidColumn::kCreaseRow;
        const int v = b.add_face_units(at + curve.n * (frac * to_brow), MeshVertexKind::Eyelid, 1.f, false);
        if (v < 0) continue;
        (row == 0 ? col.lash : col.crease) = v;
        // Landmark margins move through the influence; synthesised ones are
        // placed by the animator, which adds their share (see attached).
        m.influence[v].landmark = {col.margin < kNumLandmarks ? col.margin : col.brow, col.brow, col.brow};
        m.influence[v].weight = {col.margin < kNumLandmarks ? 1.f - frac : 0.f, frac, 0.f};
        attached.push_back({v, col.margin, 1.f - frac});
      }
      m.eyelid_columns.push_back(col);
    }
  }

  // Inner lips: a vertex halfway along each side, on the contour's spline.
  // Added like the landmarks, without the spacing check: a closed mouth puts
  // the upper and lower lip's midpoints on top of each other, as it does their
  // landmarks (the opened topology shape below keeps them apart).
  for (int k = 0; k < InnerLipCurve::kPoints; ++k) {
    const cv::Point2f p = InnerLipCurve::midpoint(&q[60], k);
    m.inner_lip_midpoints[k] = m.num_vertices();
    m.vertices.push_back(m.frame.to_image(p));
    m.face_units.push_back(p);
    m.kinds.push_back(MeshVertexKind::InnerLip);
    m.pose_weight.push_back(1.f);
    // The animator puts it on the driven spline; the influence is the
    // straight-side fallback.
    VertexInfluence inf;
    inf.landmark = {60 + k, 60 + (k + 1) % InnerLipCurve::kPoints, 60 + k};
    inf.weight = {0.5f, 0.5f, 0.f};
    m.influence.push_back(inf);
  }
  const std::vector<int> lip_contour = InnerLipCurve::contour(m.inner_lip_midpoints);

  float brow_y = 0;
  for (int i = 17; i < 27; ++i) brow_y += q[i].y;
  brow_y /= 10.f;
  // Lower forehead, just above the brows: follows the brows closely.
  for (int i : {19, 21, 22, 24}) {
    const cv::Point2f p = q[i] + cv::Point2f(0.f, -0.30f);
    int v = b.add_face_units(p, MeshVertexKind::Forehead, 1.f);
    if (v >= 0) m.influence[v] = nearest_contour_influence(m.face_units, p, 0.8f);
  }
  // Forehead arc from temple to temple, up to the estimated hairline.
  for (float deg : {30.f, 60.f, 90.f, 120.f, 150.f}) {
    const float a = deg * kPi / 180.f;
    const cv::Point2f p(h.xc + h.rx * std::cos(a), brow_y + 0.1f - (brow_y + 0.1f - h.y_top) * std::sin(a));
    int v = b.add_face_units(p, MeshVertexKind::Forehead, 1.f);
    if (v >= 0) m.influence[v] = nearest_contour_influence(m.face_units, p, 0.6f);
  }
  // Neck, under the lower jaw, pushed out along the jaw's outward direction
  // (from the oval's centre) so the band between jaw and neck never folds when
  // the jaw moves: follows the chin mostly (mouth opening) and the head mostly.
  for (int i = 5; i <= 11; ++i) {
    cv::Point2f out = q[i] - cv::Point2f(h.xc, h.yc);
    out *= 1.f / std::max(1e-4f, static_cast<float>(std::hypot(out.x, out.y)));
    const cv::Point2f p = q[i] + out * 0.4f;
    int v = b.add_face_units(p, MeshVertexKind::Neck, 0.8f);
    if (v >= 0) m.influence[v] = nearest_contour_influence(m.face_units, p, 0.75f);
  }
  // Rings around the face oval (neck included: the oval is stretched down a bit).
  const float ry_ring = h.ry * 1.05f, yc_ring = h.yc + 0.05f * h.ry;
  for (const RingSpec& r : kRings) {
    for (int j = 0; j < r.count; ++j) {
      const float a = 2.f * kPi * (j + 0.5f) / r.count;
      const cv::Point2f p(h.xc + r.radius * h.rx * std::cos(a), yc_ring + r.radius * ry_ring * std::sin(a));
      b.add_face_units(p, r.kind, r.pose_weight);
    }
  }
  // Image border (outer edge of the pixels), every ~1/6 of the shorter side.
  {
    const float x0 = -0.5f, y0 = -0.5f, x1 = size.width - 0.5f, y1 = size.height - 0.5f;
    const int nx = std::max(2, static_cast<int>(std::round(6.f * size.width / std::min(size.width, size.height))));
    const int ny = std::max(2, static_cast<int>(std::round(6.f * size.height / std::min(size.width, size.height))));
    for (int i = 0; i <= nx; ++i) {
      const float x = x0 + (x1 - x0) * i / nx;
      b.add_border({x, y0});
      b.add_border({x, y1});
    }
    for (int j = 1; j < ny; ++j) {
      const float y = y0 + (y1 - y0) * j / ny;
      b.add_border({x0, y});
      b.add_border({x1, y});
    }
  }

  // The region: the anchor ellipse.
  {
    const RingSpec& anchor = kRings[2];
    m.mask.center = m.frame.to_image({h.xc, yc_ring});
    m.mask.semi_axes = {anchor.radius * h.rx * m.frame.scale, anchor.radius * ry_ring * m.frame.scale};
    m.mask.angle = m.frame.roll;
    m.mask.inner = kMaskInner;
    m.mask.outer = 1.f;
  }

  // Topology shape: eyes and mouth opened (face units), then to pixels.
  std::vector<cv::Point2f> topo_q = m.face_units;
  for (auto [up, low] : {std::pair{37, 41}, {38, 40}, {43, 47}, {44, 46}})
    topo_q[up].y = std::min(topo_q[up].y, topo_q[low].y - 0.12f);
  for (const EyelidColumn& col : m.eyelid_columns)
    if (col.curve_side >= 0)
      topo_q[col.margin] = UpperLidCurve::fit(&topo_q[36 + 6 * col.eye]).between_corner_and_lid(col.curve_side);
  for (auto [in, out] : {std::pair{61, 50}, {62, 51}, {63, 52}, {65, 56}, {66, 57}, {67, 58}})
    topo_q[in] = topo_q[in] + (topo_q[out] - topo_q[in]) * 0.4f;
  for (int k = 0; k < InnerLipCurve::kPoints; ++k)
    topo_q[m.inner_lip_midpoints[k]] = InnerLipCurve::midpoint(&topo_q[60], k);
  for (const Attached& a : attached)
    topo_q[a.vertex] = m.face_units[a.vertex] + (topo_q[a.margin] - m.face_units[a.margin]) * a.share;
  for (int e : {0, 1}) {
    const int f = 36 + 6 * e;
    topo_q[e == 0 ? m.pupil_right : m.pupil_left] =
        (topo_q[f + 1] + topo_q[f + 2] + topo_q[f + 4] + topo_q[f + 5]) * 0.25f;
  }
  std::vector<cv::Point2f> topo(topo_q.size());
  for (size_t i = 0; i < topo_q.size(); ++i)
    topo[i] = m.kinds[i] == MeshVertexKind::Border ? m.vertices[i] : m.frame.to_image(topo_q[i]);

  // Delaunay over all points (bounding rect generous: landmarks may sit off-image).
  float minx = -1, miny = -1, maxx = static_cast<float>(size.width), maxy = static_cast<float>(size.height);
  for (const auto& p : topo) {
    minx = std::min(minx, p.x);
    miny = std::min(miny, p.y);
    maxx = std::max(maxx, p.x);
    maxy = std::max(maxy, p.y);
  }
  // Subdiv2D reports bad input by throwing cv::Exception; keep it inside.
  std::vector<cv::Vec6f> tris;
  std::map<std::pair<float, float>, int> index_of;
  try {
    cv::Subdiv2D subdiv(cv::Rect(static_cast<int>(std::floor(minx)) - 2, static_cast<int>(std::floor(miny)) - 2,
                                 static_cast<int>(std::ceil(maxx - minx)) + 5, static_cast<int>(std::ceil(maxy - miny)) + 5));
    for (size_t i = 0; i < topo.size(); ++i) {
      if (index_of.count({topo[i].x, topo[i].y})) {
        result.error = "face landmarks coincide (degenerate face)";
        return result;
      }
      index_of[{topo[i].x, topo[i].y}] = static_cast<int>(i);
      subdiv.insert(topo[i]);
    }
    subdiv.getTriangleList(tris);
  } catch (const cv::Exception& e) {
    result.error = std::string("face mesh triangulation failed: ") + e.what();
    return result;
  }
  std::vector<cv::Vec3i> all;
  for (const auto& t : tris) {
    int idx[3];
    bool ok = true;
    for (int k = 0; k < 3; ++k) {
      auto it = index_of.find({t[2 * k], t[2 * k + 1]});
      if (it == index_of.end()) {
        ok = false;
        break;
      }
      idx[k] = it->second;
    }
    if (!ok) continue;
    all.emplace_back(idx[0], idx[1], idx[2]);
  }
  // The contours of the eyes and lips must be mesh edges (Delaunay does not
  // promise it): flip the edges that cross them.
  std::vector<std::pair<int, int>> required;
  std::vector<int> eye_contour[2];  // each eye's contour, upper lid with its synthesised margins
  for (int e : {0, 1}) {
    const int f = 36 + 6 * e;
    std::vector<int>& contour = eye_contour[e];
    contour = {f, f + 1, f + 2, f + 3, f + 4, f + 5};
    for (const EyelidColumn& col : m.eyelid_columns) {
      if (col.eye != e || col.curve_side < 0) continue;
      const int next = col.curve_side == 0 ? f + 1 : f + 3;  // a synthesised margin sits just before it
      contour.insert(std::find(contour.begin(), contour.end(), next), col.margin);
    }
    for (size_t i = 0; i < contour.size(); ++i) required.emplace_back(contour[i], contour[(i + 1) % contour.size()]);
  }
  for (int i = 0; i < 12; ++i) required.emplace_back(48 + i, 48 + (i + 1) % 12);
  for (size_t i = 0; i < lip_contour.size(); ++i)
    required.emplace_back(lip_contour[i], lip_contour[(i + 1) % lip_contour.size()]);
  for (auto [a, c] : required) enforce_edge(all, topo, a, c);

  std::vector<cv::Point2f> inner_lip;
  std::vector<char> on_lip_contour(topo.size(), 0);
  for (int v : lip_contour) {
    inner_lip.push_back(topo[v]);
    on_lip_contour[v] = 1;
  }
  // Eye triangles: all three corners on one eye's contour or its centre, inside
  // the contour.
  std::vector<int> eye_of(topo.size(), -1);
  std::vector<cv::Point2f> eye_polygon[2];
  for (int e : {0, 1}) {
    for (int v : eye_contour[e]) {
      eye_of[v] = e;
      eye_polygon[e].push_back(topo[v]);
    }
    eye_of[e == 0 ? m.pupil_right : m.pupil_left] = e;
  }
  std::vector<int> used(topo.size(), 0);
  for (auto idx : all) {
    // Consistent orientation (positive signed area in the topology shape).
    if (signed_area(topo[idx[0]], topo[idx[1]], topo[idx[2]]) < 0) std::swap(idx[1], idx[2]);
    const bool lip_points = on_lip_contour[idx[0]] && on_lip_contour[idx[1]] && on_lip_contour[idx[2]];
    const cv::Point2f centroid = (topo[idx[0]] + topo[idx[1]] + topo[idx[2]]) * (1.f / 3.f);
    const bool mouth = lip_points && cv::pointPolygonTest(inner_lip, centroid, false) > 0;
    const int e = eye_of[idx[0]];
    const bool eye = e >= 0 && eye_of[idx[1]] == e && eye_of[idx[2]] == e &&
                     cv::pointPolygonTest(eye_polygon[e], centroid, false) > 0;
    (mouth ? m.mouth_triangles : eye ? m.eye_triangles : m.triangles).push_back(idx);
    for (int k = 0; k < 3; ++k) used[idx[k]] = 1;
  }
  for (int i = 0; i < kNumLandmarks; ++i)
    if (!used[i]) {
      result.error = "landmark " + std::to_string(i) + " is not part of the face mesh (degenerate face)";
      return result;
    }
  // Is every edge of the inner-lip contour (60, its midpoint, 61, ...) a mesh edge?
  m.mouth_contour_complete = !m.mouth_triangles.empty();
  for (size_t i = 0; i < lip_contour.size() && m.mouth_contour_complete; ++i) {
    const int a = lip_contour[i], c = lip_contour[(i + 1) % lip_contour.size()];
    bool found = false;
    for (const auto& t : m.mouth_triangles)
      for (int k = 0; k < 3; ++k)
        if ((t[k] == a && t[(k + 1) % 3] == c) || (t[k] == c && t[(k + 1) % 3] == a)) found = true;
    m.mouth_contour_complete = found;
  }
  // The mouth interior as a strip of columns from corner to corner, each
  // between a point of the upper lip's contour and the matching point of the
  // lower lip's. Every triangle spans the opening (Delaunay also made slivers
  // of three points of one lip, which turn inside out as that lip bends), so
  // the source's closed lip line is stretched evenly across the opening while
  // the shading fades in. Any triangulation of the interior fits the mesh
  // around it: its edges are the contour's.
  if (m.mouth_contour_complete && lip_contour.size() == 2 * InnerLipCurve::kPoints) {
    const std::vector<int> upper = InnerLipCurve::upper_chain(m.inner_lip_midpoints);
    const std::vector<int> lower = InnerLipCurve::lower_chain(m.inner_lip_midpoints);
    const size_t n = upper.size() - 1;
    std::vector<cv::Vec3i> strip;
    auto add = [&](int a, int b, int c) {
      if (a == b || b == c || a == c) return;
      cv::Vec3i t(a, b, c);
      if (signed_area(topo[a], topo[b], topo[c]) < 0) std::swap(t[1], t[2]);
      strip.push_back(t);
    };
    for (size_t i = 0; i < n; ++i) {
      const int u0 = upper[i], u1 = upper[i + 1], l0 = lower[i], l1 = lower[i + 1];
      // The shorter diagonal splits the column's quad.
      if (cv::norm(topo[u0] - topo[l1]) <= cv::norm(topo[u1] - topo[l0])) {
        add(u0, u1, l1);
        add(u0, l1, l0);
      } else {
        add(u0, u1, l0);
        add(u1, l1, l0);
      }
    }
    m.mouth_triangles = std::move(strip);
  }
  return result;
}

bool is_folded_triangle(const std::vector<cv::Point2f>& rest, const std::vector<cv::Point2f>& positions,
                        const cv::Vec3i& t, float min_area_px) {
  const float a0 = signed_area(rest[t[0]], rest[t[1]], rest[t[2]]);
  const float a1 = signed_area(positions[t[0]], positions[t[1]], positions[t[2]]);
  // Collapsed triangles (a closed eye's interior) may tip over by a sliver.
  if (std::abs(a0) < min_area_px || std::abs(a1) < std::max(min_area_px, 0.05f * std::abs(a0))) return false;
  return (a0 > 0) != (a1 > 0);
}

int count_folded_triangles(const std::vector<cv::Point2f>& rest, const std::vector<cv::Point2f>& positions,
                           const std::vector<cv::Vec3i>& triangles, float min_area_px) {
  int folded = 0;
  for (const auto& t : triangles) folded += is_folded_triangle(rest, positions, t, min_area_px) ? 1 : 0;
  return folded;
}

}  // namespace lp
