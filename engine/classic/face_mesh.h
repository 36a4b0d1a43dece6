#pragma once
// The source portrait's warp mesh: a Delaunay triangulation (cv::Subdiv2D) of
// the 68 landmarks plus synthesised points (pupils, forehead, temples, neck),
// two falloff rings and an anchor ring outside the face, and points on the
// image border. Anchor-ring and border vertices never move, so the warp fades
// to exactly zero at the edge of the region and never tears; every pixel of the
// image lies in exactly one triangle.
//
// The triangulation is computed on a copy of the shape with the eyes and the
// mouth opened a little: dlib puts the inner lips of a closed mouth on top of
// each other, and only an opened shape gives triangles that keep the
// inner-lip contour as edges (so the mouth can open without dragging skin
// across it, and its interior can be shaded as a mouth).
#include "classic/face_frame.h"
#include "classic/head_model.h"
#include "classic/warp_mesh.h"
#include "vision/face.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lp {

enum class MeshVertexKind : std::uint8_t {
  Landmark,  // 0..67
  Pupil,     // centre of an eye (moved by the pupil sliders, collapses when the eye closes)
  Eyelid,    // upper-lid margin between corner and lid landmark, and the skin above
             // the margin: slides down with the lid, so the lashes move with it
             // instead of being stretched over the closed eye
  InnerLip,  // halfway along each side of the inner-lip contour, on its spline
             // (InnerLipCurve): the open mouth is round, not an octagon
  Forehead,  // above the brows, up to the estimated hairline
  Neck,      // below the jaw
  Ring,      // falloff rings around the face (partial head motion)
  Anchor,    // outer ring: fixed, the region border
  Border,    // image border: fixed
};

// A non-landmark vertex follows the expression displacement of up to three
// landmarks (jaw or brows), weighted; weights sum to the vertex's attenuation.
struct VertexInfluence {
  std::array<int, 3> landmark{{0, 0, 0}};
  std::array<float, 3> weight{{0.f, 0.f, 0.f}};
};

struct EyelidColumn {
  // Heights of the rows above the margin, as shares of the way to the brow.
  static constexpr float kLashRow = 0.2f;
  static constexpr float kCreaseRow = 0.5f;
  int eye = 0;          // 0 = points 36-41, 1 = points 42-47
  int margin = -1;      // the lid-margin vertex: a landmark, or a synthesised one
  int curve_side = -1;  // synthesised margins: UpperLidCurve::between_corner_and_lid(side); -1 for landmarks
  int brow = 0;         // the brow landmark above it
  int lash = -1;        // top of the lashes (1/5 of the way to the brow), -1 if absent
  int crease = -1;      // the lid crease (1/2 of the way), -1 if absent
};

struct FaceMesh {
  cv::Size image_size;
  std::vector<cv::Point2f> vertices;    // source image pixels; [0, 68) are the landmarks
  std::vector<cv::Point2f> face_units;  // the same in the source FaceFrame
  std::vector<MeshVertexKind> kinds;
  std::vector<float> pose_weight;           // share of the head motion: 1 on the face .. 0 at anchors
  std::vector<VertexInfluence> influence;   // expression following (non-landmarks)
  std::vector<cv::Vec3i> eye_triangles;     // inside the eye contours (collapse when an eye closes)
  std::vector<cv::Vec3i> triangles;         // skin (never folds: the animator's fold guard)
  std::vector<cv::Vec3i> mouth_triangles;   // inside the inner-lip contour (60..67 and the midpoints)
  int pupil_right = -1;                     // vertex index of the image-left eye's centre
  int pupil_left = -1;
  // The upper lid as columns from the margin up: the lid landmarks (37, 38,
  // 43, 44) and the margin vertices between them and the corners (on the
  // UpperLidCurve), each with the top of its lashes and the lid crease above.
  std::vector<EyelidColumn> eyelid_columns;
  // Vertex of the inner-lip spline halfway along side k (landmarks 60 + k and
  // 60 + (k + 1) % 8); -1 where none could be placed.
  std::array<int, 8> inner_lip_midpoints{{-1, -1, -1, -1, -1, -1, -1, -1}};
  bool mouth_contour_complete = false;      // every inner-lip contour edge is a mesh edge
  FaceFrame frame;                          // source face frame
  HeadModel head;                           // source head model (face units)
  FeatherMask mask;                         // the region (anchor ellipse), image pixels

  int num_vertices() const { return static_cast<int>(vertices.size()); }
};

struct FaceMeshResult {
  FaceMesh mesh;
  std::string error;  // non-empty when no usable mesh could be built
  bool ok() const { return error.empty(); }
};

// Builds the mesh for a face of a `image_size` portrait. Fails (error set) for
// degenerate landmarks (a face smaller than a few pixels).
FaceMeshResult build_face_mesh(const Landmarks68& landmarks, const cv::Size& image_size);

// Triangles of `triangles` whose orientation at `positions` is opposite to the
// one at `rest` (a fold: the warp would show a mirrored, torn patch). Triangles
// with almost no area in either shape (closed eyes, closed mouth: below
// min_area_px, or driven to under 5% of their rest area) don't count.
bool is_folded_triangle(const std::vector<cv::Point2f>& rest, const std::vector<cv::Point2f>& positions,
                        const cv::Vec3i& triangle, float min_area_px = 0.5f);
int count_folded_triangles(const std::vector<cv::Point2f>& rest, const std::vector<cv::Point2f>& positions,
                           const std::vector<cv::Vec3i>& triangles, float min_area_px = 0.5f);

}  // namespace lp
