#include "classic/warp_render_cpu.h"

#include "classic/still_background.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace lp {

namespace {

// Fills the remap maps (and marks the mouth interior) for the pixel centres inside
// one driven triangle. Pixels on a shared edge are written by both triangles
// with (almost) the same value, so there are no gaps.
// Only image rows y0 <= y < y1 are written (a stripe of the roi: stripes run
// in parallel and each draws every triangle in list order, so the result does
// not depend on the number of threads).
void rasterize(const WarpMesh& mesh, const cv::Vec3i& tri, const cv::Rect& roi, int row0, int row1, cv::Mat& mapx,
               cv::Mat& mapy, cv::Mat& tint, cv::Mat* mouth) {
  const cv::Point2f P0 = mesh.positions[tri[0]], P1 = mesh.positions[tri[1]], P2 = mesh.positions[tri[2]];
  const float miny = std::min({P0.y, P1.y, P2.y}), maxy = std::max({P0.y, P1.y, P2.y});
  if (maxy + 1e-3f < row0 || miny - 1e-3f > row1 - 1) return;  // not in this stripe
  const double area2 = static_cast<double>(P1.x - P0.x) * (P2.y - P0.y) - static_cast<double>(P2.x - P0.x) * (P1.y - P0.y);
  if (std::abs(area2) < 1e-6) return;
  const float minx = std::min({P0.x, P1.x, P2.x}), maxx = std::max({P0.x, P1.x, P2.x});
  const int x0 = std::max(roi.x, static_cast<int>(std::ceil(minx - 1e-3f)));
  const int x1 = std::min(roi.x + roi.width - 1, static_cast<int>(std::floor(maxx + 1e-3f)));
  const int y0 = std::max(row0, static_cast<int>(std::ceil(miny - 1e-3f)));
  const int y1 = std::min(row1 - 1, static_cast<int>(std::floor(maxy + 1e-3f)));
  if (x0 > x1 || y0 > y1) return;
  // Barycentrics as linear functions of (x, y).
  const double inv = 1.0 / area2;
  const double a0 = (P1.y - P2.y) * inv, b0 = (P2.x - P1.x) * inv,
               c0 = (static_cast<double>(P1.x) * P2.y - static_cast<double>(P2.x) * P1.y) * inv;
  const double a1 = (P2.y - P0.y) * inv, b1 = (P0.x - P2.x) * inv,
               c1 = (static_cast<double>(P2.x) * P0.y - static_cast<double>(P0.x) * P2.y) * inv;
  const cv::Point2f T0 = mesh.texcoords[tri[0]], T1 = mesh.texcoords[tri[1]], T2 = mesh.texcoords[tri[2]];
  // Tint amount and colour, interpolated separately (as the GL varyings are).
  const cv::Vec4f K0(mesh.tint[tri[0]], mesh.tint_bgr[tri[0]][0], mesh.tint_bgr[tri[0]][1], mesh.tint_bgr[tri[0]][2]);
  const cv::Vec4f K1(mesh.tint[tri[1]], mesh.tint_bgr[tri[1]][0], mesh.tint_bgr[tri[1]][1], mesh.tint_bgr[tri[1]][2]);
  const cv::Vec4f K2(mesh.tint[tri[2]], mesh.tint_bgr[tri[2]][0], mesh.tint_bgr[tri[2]][1], mesh.tint_bgr[tri[2]][2]);
  constexpr double kEps = -1e-7;
  for (int y = y0; y <= y1; ++y) {
    float* mx = mapx.ptr<float>(y - roi.y) - roi.x;
    float* my = mapy.ptr<float>(y - roi.y) - roi.x;
    uchar* mm = mouth ? mouth->ptr<uchar>(y - roi.y) - roi.x : nullptr;
    cv::Vec4f* mt = tint.ptr<cv::Vec4f>(y - roi.y) - roi.x;
    const double l0y = b0 * y + c0, l1y = b1 * y + c1;
    for (int x = x0; x <= x1; ++x) {
      const double l0 = a0 * x + l0y, l1 = a1 * x + l1y, l2 = 1.0 - l0 - l1;
      if (l0 < kEps || l1 < kEps || l2 < kEps) continue;
      mx[x] = static_cast<float>(l0 * T0.x + l1 * T1.x + l2 * T2.x);
      my[x] = static_cast<float>(l0 * T0.y + l1 * T1.y + l2 * T2.y);
      for (int k = 0; k < 4; ++k) mt[x][k] = static_cast<float>(l0 * K0[k] + l1 * K1[k] + l2 * K2[k]);
      if (mm) mm[x] = 1;
    }
  }
}

// Bilinear colour of `image` (W channels) at the pixel-centre point p, clamped
// to the edge: what GL's linear filtering with clamp-to-edge returns there.
template <int W>
cv::Vec3f sample_bilinear(const cv::Mat& image, cv::Point2f p) {
  const float fx = std::clamp(p.x, 0.f, image.cols - 1.f), fy = std::clamp(p.y, 0.f, image.rows - 1.f);
  const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
  const int x1 = std::min(x0 + 1, image.cols - 1), y1 = std::min(y0 + 1, image.rows - 1);
  const float ax = fx - x0, ay = fy - y0;
  const auto* r0 = image.ptr<cv::Vec<uchar, W>>(y0);
  const auto* r1 = image.ptr<cv::Vec<uchar, W>>(y1);
  cv::Vec3f out;
  for (int k = 0; k < 3; ++k) {
    const float top = r0[x0][k] + (r0[x1][k] - r0[x0][k]) * ax;
    const float bottom = r1[x0][k] + (r1[x1][k] - r1[x0][k]) * ax;
    out[k] = top + (bottom - top) * ay;
  }
  return out;
}

// `warped` (W channels, roi-sized): the warped colour and, with W = 4, alpha
// of what the mesh moves (the person layer, else the source; W = 3: opaque);
// `moved` (W channels, image-sized): what the mesh samples (for the source's
// own mouth interior, MouthOpening::carried);
// `backdrop` (B channels, image-sized): what it is blended over (the still
// background's plate, else the source); `out` (C channels) starts as the
// backdrop. As the GL pass: out = mix(backdrop, colour, mask x warped alpha),
// colour channels only.
template <int C, int W, int B>
void composite(const cv::Mat& warped, const cv::Mat& mouth, const cv::Mat& tint, const cv::Mat& moved,
               const cv::Mat& backdrop, const WarpMesh& mesh, const cv::Rect& roi, int row0, int row1, cv::Mat& out) {
  const FeatherMask& fm = mesh.mask;
  const float ca = std::cos(fm.angle), sa = std::sin(fm.angle);
  const float ia = 1.f / fm.semi_axes.x, ib = 1.f / fm.semi_axes.y;
  const float inner = fm.inner, span = fm.outer - fm.inner;
  const float dark = mesh.mouth_darkness;
  for (int y = row0; y < row1; ++y) {
    const auto* b = backdrop.ptr<cv::Vec<uchar, B>>(y);
    const auto* w = warped.ptr<cv::Vec<uchar, W>>(y - roi.y) - roi.x;
    const uchar* in_mouth = mouth.ptr<uchar>(y - roi.y) - roi.x;
    const cv::Vec4f* tv = tint.ptr<cv::Vec4f>(y - roi.y) - roi.x;
    auto* o = out.ptr<cv::Vec<uchar, C>>(y);
    const float dy = y - fm.center.y;
    for (int x = roi.x; x < roi.x + roi.width; ++x) {
      const float dx = x - fm.center.x;
      const float u = (ca * dx + sa * dy) * ia, v = (-sa * dx + ca * dy) * ib;
      const float rho = std::sqrt(u * u + v * v);
      float t = std::min(1.f, std::max(0.f, (rho - inner) / span));
      const float m = 1.f - t * t * (3.f - 2.f * t);
      if (m <= 0.f) continue;  // outside the region: the source pixel, untouched
      float c[3];
      for (int k = 0; k < 3; ++k) c[k] = w[x][k];
      if (tv[x][0] > 0.f)
        for (int k = 0; k < 3; ++k) c[k] = c[k] + (tv[x][k + 1] - c[k]) * tv[x][0];
      if (in_mouth[x]) {
        const MouthOpening::Sample at = mesh.mouth_opening.at(static_cast<float>(x), static_cast<float>(y));
        cv::Vec3f shade = mouth_shade(mesh, at);
        const MouthOpening::Carried carried =
            mesh.mouth_opening.carried(mesh.source_mouth, static_cast<float>(x), static_cast<float>(y));
        if (carried.weight > 0.f) shade += (sample_bilinear<W>(moved, carried.source) - shade) * carried.weight;
        const float amount = dark * std::clamp(at.edge + 0.5f, 0.f, 1.f);
        for (int k = 0; k < 3; ++k) c[k] = c[k] + (shade[k] - c[k]) * amount;
      }
      float a = m;
      if constexpr (W == 4) a *= w[x][3] * (1.f / 255.f);
      for (int k = 0; k < 3; ++k) o[x][k] = cv::saturate_cast<uchar>(b[x][k] + (c[k] - b[x][k]) * a);
    }
  }
}

}  // namespace

cv::Vec3f mouth_shade(const WarpMesh& mesh, const MouthOpening::Sample& at) {
  const float v = std::min(at.v, 1.f);
  // A source that shows its own teeth keeps them (MouthOpening::carried):
  // no drawn teeth below them.
  const float teeth = mesh.source_mouth.empty()
                          ? (1.f - smoothstep(-kMouthTeethEdgePx, kMouthTeethEdgePx, at.below_teeth)) *
                                smoothstep(kMouthTeethHiddenMiddle, kMouthTeethShownMiddle, at.middle)
                          : 0.f;
  const float lit = kMouthTeethCornerShade + (1.f - kMouthTeethCornerShade) * at.middle;
  const float to_tongue = kMouthTongueShare * smoothstep(kMouthTongueStart, 1.f, v);
  cv::Vec3f out;
  for (int k = 0; k < 3; ++k) {
    const float cavity = mesh.mouth_top_bgr[k] + (mesh.mouth_bottom_bgr[k] - mesh.mouth_top_bgr[k]) * v;
    const float s = cavity + (mesh.mouth_teeth_bgr[k] * lit - cavity) * teeth;
    out[k] = s + (mesh.mouth_tongue_bgr[k] - s) * to_tongue;
  }
  return out;
}

cv::Mat render_mask(const WarpMesh& mesh) { return mesh.mask.image(mesh.size); }

cv::Mat render_cpu(const cv::Mat& source, const WarpMesh& mesh) {
  if (source.empty() || source.size() != mesh.size || (source.type() != CV_8UC3 && source.type() != CV_8UC4) ||
      mesh.positions.size() != mesh.texcoords.size() ||
      mesh.tint.size() != mesh.positions.size() || mesh.tint_bgr.size() != mesh.positions.size())
    return {};
  cv::Mat out = source.clone();
  const cv::Rect roi = mesh.mask.bounding_rect(mesh.size);
  if (roi.empty()) return out;

  // Row stripes of the roi in parallel (cv::parallel_for_): each starts from
  // the identity map and draws every triangle clipped to its rows.
  cv::Mat mapx(roi.size(), CV_32FC1), mapy(roi.size(), CV_32FC1);
  cv::Mat mouth(roi.size(), CV_8UC1);  // 1 inside the mouth triangles
  cv::Mat tint(roi.size(), CV_32FC4);  // amount, b, g, r
  const int n = static_cast<int>(mesh.positions.size());
  auto valid = [n](const cv::Vec3i& t) { return t[0] >= 0 && t[1] >= 0 && t[2] >= 0 && t[0] < n && t[1] < n && t[2] < n; };
  // A few stripes per thread: each stripe walks every triangle.
  const int stripes = std::max(1, 4 * cv::getNumThreads());
  cv::parallel_for_(cv::Range(0, roi.height), [&](const cv::Range& rows) {
    for (int y = rows.start; y < rows.end; ++y) {
      float* mx = mapx.ptr<float>(y);
      float* my = mapy.ptr<float>(y);
      for (int x = 0; x < roi.width; ++x) {
        mx[x] = static_cast<float>(x + roi.x);
        my[x] = static_cast<float>(y + roi.y);
      }
    }
    mouth.rowRange(rows) = cv::Scalar(0);
    tint.rowRange(rows) = cv::Scalar::all(0.f);
    const int row0 = roi.y + rows.start, row1 = roi.y + rows.end;
    for (const auto* list : {&mesh.eye_triangles, &mesh.triangles})
      for (const auto& t : *list)
        if (valid(t)) rasterize(mesh, t, roi, row0, row1, mapx, mapy, tint, nullptr);
    for (const auto& t : mesh.mouth_triangles)
      if (valid(t)) rasterize(mesh, t, roi, row0, row1, mapx, mapy, tint, &mouth);
  }, stripes);

  // What the mesh moves: the still background's person layer (colour and
  // alpha), else the source (with its alpha channel, if any). What it is
  // blended over: the plate, else the source.
  const StillBackground* bg = mesh.background.get();
  const bool layered = bg && bg->fits(mesh.size);
  cv::Mat warped;
  cv::remap(layered ? bg->person_bgra : source, warped, mapx, mapy, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  // The output's alpha channel (a BGRA source) is the backdrop's, as in GL:
  // the source's, or opaque with a still background (the plate has none).
  if (layered && source.channels() == 4) {
    cv::Mat planes[4];
    cv::split(out, planes);
    planes[3].setTo(255);
    cv::merge(planes, 4, out);
  }
  cv::parallel_for_(cv::Range(roi.y, roi.y + roi.height), [&](const cv::Range& rows) {
    const int r0 = rows.start, r1 = rows.end;
    if (source.channels() == 3) {
      if (layered)
        composite<3, 4, 3>(warped, mouth, tint, bg->person_bgra, bg->plate_bgr, mesh, roi, r0, r1, out);
      else
        composite<3, 3, 3>(warped, mouth, tint, source, source, mesh, roi, r0, r1, out);
    } else {
      if (layered)
        composite<4, 4, 3>(warped, mouth, tint, bg->person_bgra, bg->plate_bgr, mesh, roi, r0, r1, out);
      else
        composite<4, 4, 4>(warped, mouth, tint, source, source, mesh, roi, r0, r1, out);
    }
  }, stripes);
  return out;
}

}  // namespace lp
