#pragma once
// The CPU renderer of a WarpMesh: the oracle for the GL mesh-warp pass in
// tests, and the path of `livepuppet-cli render` where there is no OpenGL.
// Follows the rules in warp_mesh.h exactly as shaders/mesh_warp.frag does:
//  - every output pixel centre inside a driven triangle samples the source
//    (the still background's person layer, when there is one) bilinearly
//    (clamp to edge) at the barycentric mix of the triangle's texcoords (one
//    cv::remap over maps filled triangle by triangle, in row stripes on every
//    core);
//  - mouth triangles are drawn after the skin and shaded: mix(texel, shade,
//    mouth_darkness x clamp(edge + 0.5, 0, 1)), shade = mix(mouth_shade(
//    sample), source at carried.source, carried.weight), the sample from
//    MouthOpening::at and `carried` from MouthOpening::carried (with
//    source_mouth) at the pixel centre;
//  - the result is blended over the backdrop (the still background's plate,
//    else the source) with alpha = feathered mask x warped person alpha (the
//    mask alone without a still background); pixels where the mask is 0 are
//    copied, so they equal the source exactly. A BGRA source's alpha is kept
//    (opaque with a still background, whose plate has none; as in GL).
#include "classic/warp_mesh.h"

#include <opencv2/core.hpp>

namespace lp {

// source: CV_8UC3 (BGR) or CV_8UC4, of size mesh.size. Returns an image of the
// same size and type; an empty Mat when the inputs do not match.
cv::Mat render_cpu(const cv::Mat& source, const WarpMesh& mesh);

// The mask of a mesh as a CV_32FC1 image (FeatherMask::value per pixel).
cv::Mat render_mask(const WarpMesh& mesh);

// The mouth interior's colour (BGR 0..255) at a sample of the opening: the
// upper teeth above the teeth's edge (their edge anti-aliased over
// kMouthTeethEdgePx either side; darker towards the corners, and gone into the
// mouth's shadow before them: from `middle` kMouthTeethShownMiddle down to
// kMouthTeethHiddenMiddle they fade out), the cavity from mouth_top under the
// teeth to mouth_bottom at the lower lip, with a share of tongue colour from
// kMouthTongueStart to the lower lip. No drawn teeth where the source shows
// its own (a non-empty mesh.source_mouth). shaders/mesh_warp.frag computes the same
// with the same constants.
constexpr float kMouthTeethEdgePx = 0.75f;
constexpr float kMouthTeethCornerShade = 0.7f;
constexpr float kMouthTeethHiddenMiddle = 0.1f;   // 2.5 % of the width from a corner
constexpr float kMouthTeethShownMiddle = 0.55f;   // 17 % of the width from a corner
constexpr float kMouthTongueStart = 0.55f;
constexpr float kMouthTongueShare = 0.6f;
cv::Vec3f mouth_shade(const WarpMesh& mesh, const MouthOpening::Sample& at);

}  // namespace lp
