#pragma once
// The source portrait split into two layers, so that the classic warp moves the
// person and leaves what is behind them still.
//
// Without it the mesh warp moves everything inside its region: the background
// around the head sways and stretches with every nod (a waterfall behind the
// head bends as the head turns). With it, every output pixel is
//   mix(plate(pixel), warped person colour, region mask(pixel) * warped person alpha),
// so background pixels come from the static plate and only the person (face,
// hair, neck) follows the mesh. Where the head moves away from where it was,
// the plate shows the background filled in behind it.
//
// The plate equals the source wherever the person alpha is below 1 and
// wherever the region mask is below 1 (its feathered edge and outside it), and
// the person alpha is 1 on the whole face, so with a neutral mesh the output
// is the source exactly (identity is kept bit for bit), and outside the region
// it is the source whatever the mesh does.
//
// Segmentation: OpenCV's GrabCut, seeded from the face mesh (the face itself is
// the person, the head oval with room for hair and the body below the chin are
// probably the person, the region's corners beside the head are background),
// at a reduced resolution; the person mask is widened a little and feathered,
// so a strand of hair GrabCut missed moves with the head instead of tearing.
// The hole behind the person is filled with OpenCV's Telea inpainting.
#include "classic/face_mesh.h"

#include <opencv2/core.hpp>

#include <memory>

namespace lp {

struct StillBackground {
  // The person layer: the source's colours, A = 255 for the person (moves with
  // the warp) .. 0 for the background (stays). One image, so a renderer
  // samples colour and alpha together (one texture fetch on the GPU).
  cv::Mat person_bgra;  // CV_8UC4, source size
  // The background layer: the source, filled in behind the person where the
  // person is opaque inside the region's unfeathered core.
  cv::Mat plate_bgr;  // CV_8UC3, source size

  // The person alpha alone (CV_8UC1), for tests and overlays.
  cv::Mat person() const;
  // Both layers are there for an image of `size` (what the renderers check).
  bool fits(const cv::Size& size) const {
    return person_bgra.type() == CV_8UC4 && plate_bgr.type() == CV_8UC3 && person_bgra.size() == size &&
           plate_bgr.size() == size;
  }
};

// Splits `source` (CV_8UC3 BGR or CV_8UC4 BGRA) around the face of `mesh`.
// Returns null when the image is too small to segment or GrabCut fails; the
// warp then moves the whole region as before.
std::shared_ptr<const StillBackground> separate_still_background(const cv::Mat& source, const FaceMesh& mesh);

}  // namespace lp
