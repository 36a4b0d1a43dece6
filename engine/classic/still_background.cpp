#include "classic/still_background.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace lp {

namespace {

// GrabCut and inpainting run on the region scaled so its longer side is at
// most this many pixels: a few hundred milliseconds once per portrait on two
// cores, and fine enough for a mask that is widened and feathered anyway.
constexpr int kWorkingSide = 256;
constexpr int kGrabCutIterations = 3;
// Head oval for the "probably the person" seed, in face units (inter-ocular
// distances): the face oval widened for hair at the sides and raised for hair
// above the estimated hairline.
constexpr float kHairWidth = 1.5f;   // times the face oval's half-width
constexpr float kHairAbove = 0.7f;   // above the estimated forehead top
// Hair right above the hairline is the person whatever its colour (dark hair
// against a dark background): the face oval raised by this much (face units).
constexpr float kSureHairAbove = 0.3f;
// The person is opaque up to kWiden (face units) beyond GrabCut's edge and
// fades out over kFeather after that: a strand GrabCut missed moves with the
// head instead of being torn off it (at the price of a thin band of background
// that moves too), and the plate is filled from background colours, so the
// hair's outline is not left behind where the head moves away.
constexpr float kWiden = 0.16f;
constexpr float kFeather = 0.15f;

// Fills the enclosed holes of a binary mask (background pockets that do not
// reach the border of the working image: between strands of hair, inside an
// ear ring) so they move with the person instead of staying behind.
void fill_holes(cv::Mat& fg) {
  cv::Mat padded;
  cv::copyMakeBorder(fg, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::floodFill(padded, cv::Point(0, 0), cv::Scalar(128));
  const cv::Mat outside = padded(cv::Rect(1, 1, fg.cols, fg.rows)) == 128;
  fg = ~outside;  // everything not reached from the border is the person
}

// Keeps the connected component of `fg` that contains `seed` (the face).
void keep_component(cv::Mat& fg, const cv::Point& seed) {
  if (!cv::Rect(0, 0, fg.cols, fg.rows).contains(seed) || fg.at<uchar>(seed) == 0) return;
  cv::Mat labels;
  cv::connectedComponents(fg, labels, 8, CV_32S);
  fg = labels == labels.at<int>(seed);
}

}  // namespace

cv::Mat StillBackground::person() const {
  cv::Mat alpha;
  if (!person_bgra.empty()) cv::extractChannel(person_bgra, alpha, 3);
  return alpha;
}

std::shared_ptr<const StillBackground> separate_still_background(const cv::Mat& source, const FaceMesh& mesh) {
  if (source.empty() || (source.type() != CV_8UC3 && source.type() != CV_8UC4) || mesh.vertices.empty())
    return nullptr;
  cv::Mat bgr = source;
  if (source.channels() == 4) cv::cvtColor(source, bgr, cv::COLOR_BGRA2BGR);
  const cv::Rect region = mesh.mask.bounding_rect(source.size());
  if (region.width < 16 || region.height < 16) return nullptr;

  // --- Working image: the region, scaled down.
  const double scale = std::min(1.0, static_cast<double>(kWorkingSide) / std::max(region.width, region.height));
  const cv::Size work(std::max(8, static_cast<int>(std::lround(region.width * scale))),
                      std::max(8, static_cast<int>(std::lround(region.height * scale))));
  const double sx = static_cast<double>(work.width) / region.width, sy = static_cast<double>(work.height) / region.height;
  cv::Mat small;
  cv::resize(bgr(region), small, work, 0, 0, cv::INTER_AREA);
  auto to_work = [&](const cv::Point2f& p) {
    return cv::Point(static_cast<int>(std::lround((p.x - region.x + 0.5) * sx - 0.5)),
                     static_cast<int>(std::lround((p.y - region.y + 0.5) * sy - 0.5)));
  };
  const float unit = static_cast<float>(mesh.frame.scale * std::sqrt(sx * sy));  // one face unit, working pixels

  // --- Seeds. Everything starts as "probably background".
  const HeadModel& h = mesh.head;
  const float hair_top = h.y_top - kHairAbove;
  const float head_yc = 0.5f * (hair_top + h.y_chin), head_ry = 0.5f * (h.y_chin - hair_top);
  cv::Mat seeds(work, CV_8UC1, cv::Scalar(cv::GC_PR_BGD));
  for (int y = 0; y < work.height; ++y) {
    uchar* row = seeds.ptr<uchar>(y);
    for (int x = 0; x < work.width; ++x) {
      const cv::Point2f p(static_cast<float>(region.x + (x + 0.5) / sx - 0.5), static_cast<float>(region.y + (y + 0.5) / sy - 0.5));
      const cv::Point2f q = mesh.frame.to_face(p);
      const float hx = (q.x - h.xc) / (kHairWidth * h.rx), hy = (q.y - head_yc) / head_ry;
      const bool head = hx * hx + hy * hy <= 1.f;
      // Below the chin: neck and shoulders, widening downwards.
      const bool body = q.y > h.y_chin - 0.3f && std::abs(q.x - h.xc) < h.rx + 0.8f * (q.y - h.y_chin + 0.3f);
      const float ox = (q.x - h.xc) / h.rx;
      const float oy = (q.y - h.yc) / (q.y < h.yc ? h.yc - (h.y_top - kSureHairAbove) : h.ry);
      if (ox * ox + oy * oy <= 1.f)
        row[x] = cv::GC_FGD;  // the face oval and the hair just above it
      else if (head || body)
        row[x] = cv::GC_PR_FGD;
      else if (mesh.mask.value(p.x, p.y) <= 0.f && q.y < h.y_chin)
        row[x] = cv::GC_BGD;  // beside or above the head, outside the warp region
    }
  }
  // The face itself (landmarks, lids, forehead up to the hairline) is the person.
  std::vector<cv::Point> face_points;
  for (int i = 0; i < mesh.num_vertices(); ++i) {
    const MeshVertexKind k = mesh.kinds[i];
    if (k == MeshVertexKind::Landmark || k == MeshVertexKind::Pupil || k == MeshVertexKind::Eyelid ||
        k == MeshVertexKind::InnerLip || k == MeshVertexKind::Forehead)
      face_points.push_back(to_work(mesh.vertices[i]));
  }
  std::vector<cv::Point> face_hull;
  cv::convexHull(face_points, face_hull);
  cv::fillConvexPoly(seeds, face_hull, cv::Scalar(cv::GC_FGD));

  // --- GrabCut (colour models of person and background, graph cut).
  // GrabCut seeds its colour models with k-means on OpenCV's thread-local
  // random generator: a fixed seed makes a portrait segment the same way every
  // time it is loaded (the caller's generator state is put back).
  cv::Mat bgd_model, fgd_model;
  const std::uint64_t rng_state = cv::theRNG().state;
  cv::theRNG().state = 0x5EED;
  try {
    cv::grabCut(small, seeds, cv::Rect(), bgd_model, fgd_model, kGrabCutIterations, cv::GC_INIT_WITH_MASK);
  } catch (const cv::Exception&) {
    cv::theRNG().state = rng_state;
    return nullptr;  // e.g. no background sample at all: the region is all person
  }
  cv::theRNG().state = rng_state;
  cv::Mat fg = (seeds == cv::GC_FGD) | (seeds == cv::GC_PR_FGD);
  keep_component(fg, to_work(mesh.vertices[30]));  // the nose tip
  fill_holes(fg);
  // Opaque within kWiden of the person, then a smooth fade over kFeather.
  cv::Mat distance;
  cv::distanceTransform(~fg, distance, cv::DIST_L2, cv::DIST_MASK_5);
  const float d0 = std::max(1.f, kWiden * unit), d1 = d0 + std::max(2.f, kFeather * unit);
  cv::Mat alpha_small(work, CV_8UC1);
  for (int y = 0; y < work.height; ++y) {
    const float* d = distance.ptr<float>(y);
    uchar* a = alpha_small.ptr<uchar>(y);
    for (int x = 0; x < work.width; ++x) {
      const float t = std::clamp((d[x] - d0) / (d1 - d0), 0.f, 1.f);
      a[x] = cv::saturate_cast<uchar>(255.f * (1.f - t * t * (3.f - 2.f * t)));
    }
  }

  // --- Layers at full resolution. Outside the region nothing is layered
  // (person = 255: whatever the warp does there, which is nothing).
  auto out = std::make_shared<StillBackground>();
  cv::Mat person(source.size(), CV_8UC1, cv::Scalar(255));
  cv::resize(alpha_small, person(region), region.size(), 0, 0, cv::INTER_LINEAR);
  cv::Mat planes[4];
  cv::split(bgr, planes);
  planes[3] = person;
  cv::merge(planes, 4, out->person_bgra);

  // The plate: the background continued under the opaque person (Telea fills
  // from the edge inwards). Only pixels where the person is fully opaque and
  // the region mask is 1 are replaced: the plate agrees with the source
  // wherever the background shows through and all along the mask's feathered
  // edge, where the renderers blend the warp into the source.
  cv::Mat hole_small = alpha_small == 255, filled_small, filled;
  cv::inpaint(small, hole_small, filled_small, std::max(2.0, 0.15 * unit), cv::INPAINT_TELEA);
  cv::resize(filled_small, filled, region.size(), 0, 0, cv::INTER_LINEAR);
  const cv::Mat core = mesh.mask.image(source.size())(region) >= 1.f;
  out->plate_bgr = bgr.clone();
  filled.copyTo(out->plate_bgr(region), (person(region) == 255) & core);
  return out;
}

}  // namespace lp
