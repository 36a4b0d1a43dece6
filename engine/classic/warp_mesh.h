#pragma once
// The classic engine's per-frame output: pure data describing a piecewise-
// affine warp of the source portrait. It is drawn by the GL pass
// (app/gl/mesh_warp_pass.h, shaders/mesh_warp.{vert,frag}) in the live app and
// by render_cpu() (warp_render_cpu.h) in tests and the CLI; both follow the
// rules written here, so they agree to within rounding.
//
// Coordinates: source-image pixels in OpenCV's pixel-centre convention (pixel
// (i, j) has its centre at (i, j); the image covers [-0.5, W-0.5] x
// [-0.5, H-0.5]). GL adds 0.5 and divides by the size to get texture
// coordinates / window positions. Row 0 of the image is row 0 of the
// framebuffer and t = 0 of the textures (no vertical flip inside the pass).
#include <opencv2/core.hpp>

#include <memory>
#include <vector>

namespace lp {

struct StillBackground;  // classic/still_background.h

// GLSL's smoothstep, for the CPU side of the shaders' arithmetic.
float smoothstep(float e0, float e1, float x);

// Feathered elliptic region: 1 inside `inner`, smooth (GLSL smoothstep) ramp
// to 0 at `outer` (radii normalised by the ellipse's semi-axes). Outside it the
// output is the source pixel, bit for bit.
struct FeatherMask {
  cv::Point2f center;           // pixels
  cv::Point2f semi_axes{1, 1};  // pixels, along the rotated x and y axes
  float angle = 0.f;            // radians (the face's roll)
  float inner = 0.85f;
  float outer = 1.0f;

  // The same arithmetic as shaders/mesh_warp.frag (float, smoothstep).
  float value(float x, float y) const;
  // Pixels where value() can be non-zero, clipped to an image of `size`.
  cv::Rect bounding_rect(const cv::Size& size) const;
  // value() at every pixel of an image of `size` (CV_32FC1; 0 outside bounding_rect).
  cv::Mat image(const cv::Size& size) const;
  // Whether value() can be non-zero at a pixel centre inside the triangle
  // (conservative: true near the edge). The GL pass skips the others.
  bool touches_triangle(const cv::Point2f& p0, const cv::Point2f& p1, const cv::Point2f& p2) const;
};

// The open mouth as its shading sees it: the inner-lip contour as two chains
// of driven points from corner to corner (landmark 60 to 64), one along the
// upper lip and one along the lower, in a frame whose x runs along the corner
// line and whose y runs across it towards the lower lip. Per pixel:
//  - v, where the pixel lies between the two chains at its x (0 on the upper
//    lip, 1 on the lower): the cavity's gradient and the tongue follow the
//    lips, whatever the triangulation (a per-vertex value interpolated over
//    triangles drew zigzags);
//  - the upper teeth's edge, an arc through the two corners that hangs
//    kTeethShare of the opening below the upper lip at the middle: the
//    teeth are one smooth row, not a copy of the lip's outline.
struct MouthOpening {
  static constexpr int kMaxPoints = 9;  // per chain: the size of shaders/mesh_warp.frag's arrays
  static constexpr float kTeethShare = 0.2f;
  cv::Point2f origin{0.f, 0.f};         // corner 60, pixels
  cv::Point2f axis{1.f, 0.f};           // unit vector from corner 60 towards corner 64
  cv::Point2f across{0.f, 1.f};         // unit vector towards the lower lip
  std::vector<cv::Point2f> upper, lower;  // the chains in the frame (x along, y across)
  float teeth_depth = 0.f;              // the teeth's edge at the middle (frame y, pixels)

  // From chains in pixels, each from corner 60 to corner 64, of the same
  // length (2..kMaxPoints); anything else gives an empty opening.
  static MouthOpening from_chains(const std::vector<cv::Point2f>& upper_px, const std::vector<cv::Point2f>& lower_px);
  bool empty() const { return upper.size() < 2; }

  struct Sample {
    float v = 0.5f;         // 0 on the upper lip .. 1 on the lower
    float edge = 1e6f;      // pixels to the nearer lip, square to it (the shading
                            // fades out over the last pixel: a smooth edge)
    float below_teeth = 1e6f;  // pixels below the teeth's edge (negative: on the teeth)
    float middle = 0.f;     // 1 halfway between the corners .. 0 at them (4 a (1 - a))
  };
  // At the pixel centre (x, y); an empty opening gives the defaults (no
  // teeth, no edge). The same arithmetic as shaders/mesh_warp.frag.
  Sample at(float x, float y) const;

  // A portrait that shows its teeth keeps them as the mouth opens further:
  // the source's own opening (`source`, in source pixels) rides with the upper
  // lip. The pixel centre (x, y) of this (driven) opening shows the source at
  // the same share of the way from corner 60 and the same distance below the
  // upper lip, both scaled by the ratio of the two openings' widths; in full
  // down to kCarriedFrom of the source opening's height there, fading out by
  // kCarriedTo (its lower edge is the lower lip's inside, which moves down
  // with the lower lip). Below, and for an empty `source`, weight 0: the
  // shaded cavity. The same arithmetic as shaders/mesh_warp.frag.
  static constexpr float kCarriedFrom = 0.6f;
  static constexpr float kCarriedTo = 0.85f;
  struct Carried {
    cv::Point2f source{0.f, 0.f};  // where to sample the source (pixels)
    float weight = 0.f;            // share of that texel in the mouth's colour
  };
  Carried carried(const MouthOpening& source, float x, float y) const;
};

struct WarpMesh {
  cv::Size size;                        // source image size = output size
  std::vector<cv::Point2f> positions;   // driven vertex positions (output pixels)
  std::vector<cv::Point2f> texcoords;   // where each vertex samples the source (source pixels)
  std::vector<float> tint;              // per vertex 0..1: share of tint_bgr in the colour (closing lids)
  std::vector<cv::Vec3i> eye_triangles;  // inside the eye contours (drawn first: a closing eye
                                        // collapses them, and a sliver that tips over is covered
                                        // by the lids, drawn after)
  std::vector<cv::Vec3i> triangles;     // skin triangles (drawn second)
  std::vector<cv::Vec3i> mouth_triangles;  // inside the inner-lip polygon (drawn last, shaded)
  std::vector<cv::Point2f> mouth_polygon;  // driven inner-lip contour: 60, midpoint, 61, ... (for overlays)

  // Mouth interior: colour = mix(texel, shade, darkness x edge fade), with
  // shade = mix(mouth_shade(sample), source at carried.source, carried.weight):
  // the sample from mouth_opening at the pixel: upper teeth under the upper
  // lip, the dark cavity, a hint of tongue towards the lower lip
  // (mouth_shade() in warp_render_cpu.h and shaders/mesh_warp.frag), under
  // what the source's own opening shows, where it has one. At full
  // darkness no source texture is left to show as streaks (the source's
  // closed lip line stretched open) but in the last pixel at the lips.
  MouthOpening mouth_opening;
  MouthOpening source_mouth;  // the source's own opening (source pixels; empty when its lips are
                              // together): what it shows rides with the upper lip (MouthOpening::carried)
  float mouth_darkness = 0.f;                  // 0 = plain texture (mouth as in the source)
  cv::Vec3f mouth_top_bgr{40.f, 38.f, 62.f};     // 0..255, cavity under the teeth
  cv::Vec3f mouth_bottom_bgr{18.f, 14.f, 32.f};   // cavity towards the lower lip
  cv::Vec3f mouth_teeth_bgr{165.f, 185.f, 202.f};  // upper teeth, in the mouth's shadow
  cv::Vec3f mouth_tongue_bgr{64.f, 60.f, 140.f};

  // Every triangle: colour = mix(texel, tint_bgr, tint), both interpolated
  // per pixel: a closing lid takes on the lid's skin colour instead of showing
  // the lashes and the crease of the open eye stretched over it.
  std::vector<cv::Vec3f> tint_bgr;  // per vertex, 0..255

  FeatherMask mask;  // where the warp is blended over the backdrop (the source, or the plate)

  // Person and background layers of the source (per portrait, shared by every
  // frame). When set, output = mix(plate_bgr(pixel), person colour, mask x
  // person alpha), person colour and alpha sampled through the mesh: the
  // background stays still and only the person follows the mesh. Null:
  // output = mix(source(pixel), colour, mask x source alpha (1 for BGR)),
  // everything in the region moves.
  std::shared_ptr<const StillBackground> background;

  // Targets the mesh was built for (diagnostics / UI).
  float eye_open_right = 0.f, eye_open_left = 0.f, lip_open = 0.f;

  bool empty() const { return positions.empty(); }
};

}  // namespace lp
