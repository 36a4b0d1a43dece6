#include "classic/landmark_retargeting.h"

#include "classic/lid_curve.h"

#include <algorithm>
#include <cmath>

namespace lp {

namespace {

float dot(const cv::Point2f& a, const cv::Point2f& b) { return a.x * b.x + a.y * b.y; }
float norm(const cv::Point2f& a) { return std::sqrt(dot(a, a)); }

}  // namespace

void set_eye_openness(Landmarks68& q, int eye, float target) {
  const int f = eye == 0 ? 36 : 42;
  const float len = norm(q[f + 3] - q[f]);
  if (len < 1e-4f) return;
  target = std::max(0.f, target);
  const std::pair<int, int> pairs[2] = {{f + 1, f + 5}, {f + 2, f + 4}};  // (upper, lower)
  const float d1 = norm(q[f + 1] - q[f + 5]), d2 = norm(q[f + 2] - q[f + 4]);
  const float current = 0.5f * (d1 + d2) / len;
  if (std::abs(current - target) < 1e-6f) return;  // exactly as is (the identity stays exact)
  // Each lid pair keeps its share of the opening (the lid's curve), unless the
  // eye was closed and there is no share to keep. The lower lid takes a part of
  // the closing (as in a real blink).
  float dist[2];
  const UpperLidCurve before = UpperLidCurve::fit(&q[f]);
  for (int k = 0; k < 2; ++k) {
    const auto [up, low] = pairs[k];
    const float was = norm(q[up] - q[low]);
    dist[k] = current > 0.02f ? was * target / current : target * len;
    q[low] += before.n * (0.3f * (was - dist[k]));
  }
  // The upper points stand on the (moved) lower lid, at their own place along
  // the eye, as high as the wanted opening needs: a closed eye's upper lid lies
  // on the lower lid all along, not just at the lid points.
  const UpperLidCurve lid = UpperLidCurve::fit(&q[f]);
  const int b = eye == 0 ? 18 : 23;  // brow above this eye (its middle three points)
  const cv::Point2f brow = (q[b] + q[b + 1] + q[b + 2]) * (1.f / 3.f);
  const float brow_height = dot(brow - lid.corner0, lid.n) / len;
  for (int k = 0; k < 2; ++k) {
    const auto [up, low] = pairs[k];
    const float x = dot(q[up] - lid.corner0, lid.u) / len;
    const float base = lid.lower_height(x);
    const float along = x - dot(q[low] - lid.corner0, lid.u) / len;
    const float rise = dot(q[low] - lid.corner0, lid.n) / len - base;  // from the lid line up to the lower point
    const float want = dist[k] / len;
    float h = std::sqrt(std::max(0.f, want * want - along * along)) + rise;
    h = std::clamp(h, 0.f, std::max(0.f, brow_height - base - 0.12f / len));
    q[up] = lid.corner0 + lid.u * (x * len) + lid.n * ((base + h) * len);
  }
}

void set_lip_openness(Landmarks68& q, float target) {
  target = std::max(0.f, target);
  // Two passes: the corners move in as the mouth opens (a wide-open mouth is
  // narrower, an "O"), which changes the width the ratio is measured against.
  for (int pass = 0; pass < 2; ++pass) {
    const float width = norm(q[54] - q[48]);
    if (width < 1e-4f) return;
    const cv::Point2f u = (q[54] - q[48]) * (1.f / width);
    cv::Point2f d(-u.y, u.x);  // down the face
    if (d.y < 0) d = -d;
    // The ratio is measured as vision/openness.h does (Euclidean distance);
    // the lower lip moves along the face's down axis by the difference.
    const float current = norm(q[66] - q[62]) / width;
    const float delta = (target - current) * width;
    if (std::abs(delta) < 1e-6f) return;
    // Share of the opening each point follows: lower lip fully (its sides a
    // little less than its middle, so the opening's bottom is round, not
    // flat), corners about half, the chin as much as the lip, the jaw less
    // towards the ears.
    static const std::pair<int, float> kFollow[] = {
        {65, 0.93f}, {66, 1.f}, {67, 0.93f}, {56, 0.96f}, {57, 1.f}, {58, 0.96f}, {55, 0.82f}, {59, 0.82f},
        {60, 0.5f}, {64, 0.5f}, {48, 0.4f}, {54, 0.4f}, {7, 0.95f}, {8, 0.95f}, {9, 0.95f},  {6, 0.8f},
        {10, 0.8f}, {5, 0.55f}, {11, 0.55f}, {4, 0.3f}, {12, 0.3f}, {3, 0.1f},  {13, 0.1f}};
    for (auto [i, w] : kFollow) q[i] += d * (delta * w);
    // Corners in (out when closing).
    struct Inward { int left, right; float share; };  // mirror pairs (image-left, image-right)
    static const Inward kInward[] = {{48, 54, 0.12f}, {60, 64, 0.12f}, {49, 53, 0.05f},
                                     {59, 55, 0.05f}, {61, 63, 0.04f}, {67, 65, 0.04f}};
    for (const Inward& p : kInward) {
      q[p.left] += u * (delta * p.share);
      q[p.right] -= u * (delta * p.share);
    }
    // The upper lip rises a little, its middle most (an arch, not a flat top).
    for (int i : {50, 51, 52}) q[i] -= d * (0.08f * delta);
    q[61] -= d * (0.07f * delta);
    q[62] -= d * (0.10f * delta);
    q[63] -= d * (0.07f * delta);
    // Inner lips never cross (upper above lower along d).
    for (auto [up, low] : {std::pair{61, 67}, {62, 66}, {63, 65}}) {
      const float g = dot(q[low] - q[up], d);
      if (g < 0) q[low] -= d * g;
    }
  }
}

void apply_expression_edit(Landmarks68& q, const ExpressionEdit& e) {
  const cv::Point2f centre = (q[48] + q[54]) * 0.5f;
  const float width = std::max(1e-4f, norm(q[54] - q[48]));
  const cv::Point2f u = (q[54] - q[48]) * (1.f / width);
  cv::Point2f up(u.y, -u.x);
  if (up.y > 0) up = -up;
  auto outward = [&](int i) { return dot(q[i] - centre, u) >= 0 ? u : -u; };

  if (e.smile != 0.f) {
    const float s = e.smile;
    for (int i : {48, 54, 60, 64}) q[i] += outward(i) * (0.08f * s) + up * (0.16f * s);
    for (int i : {49, 53, 59, 55, 61, 63, 67, 65}) q[i] += outward(i) * (0.04f * s) + up * (0.075f * s);
    for (int i : {50, 51, 52, 62}) q[i] += up * (0.02f * s);
    for (int i : {57, 66}) q[i] += up * (0.01f * s);
    for (int i : {40, 41, 46, 47}) q[i] += up * (0.03f * s);  // cheeks push the lower lids up
    for (int i : {3, 4, 12, 13}) q[i] += outward(i) * (0.02f * s);
  }
  if (e.eee != 0.f) {
    const float k = e.eee / 15.f;
    for (int i : {48, 54, 60, 64}) q[i] += outward(i) * (0.07f * k);
    for (int i : {49, 53, 59, 55, 61, 63, 67, 65}) q[i] += outward(i) * (0.035f * k);
  }
  if (e.woo != 0.f) {
    const float k = e.woo / 15.f;
    for (int i : {48, 54, 60, 64}) q[i] -= outward(i) * (0.09f * k);
    for (int i : {49, 53, 59, 55, 61, 63, 67, 65}) q[i] -= outward(i) * (0.04f * k);
    for (int i : {50, 51, 52}) q[i] += up * (0.02f * k);
    for (int i : {56, 57, 58}) q[i] -= up * (0.02f * k);
  }
  if (e.eyebrow != 0.f) {
    const float raise = 0.012f * e.eyebrow;  // +15 lifts the brows by 0.18 IOD
    for (int i = 17; i < 27; ++i) q[i] += up * raise;
    if (raise < 0) {  // a frown also pulls the inner brows together
      const cv::Point2f mid = (q[21] + q[22]) * 0.5f;
      for (int i : {20, 21, 22, 23}) {
        const cv::Point2f towards = mid - q[i];
        const float dist = norm(towards);
        if (dist > 1e-4f) q[i] += towards * (std::min(dist, -0.3f * raise) / dist);
      }
    }
  }
}

void adjust_targets_for_edit(OpennessTargets& t, const ExpressionEdit& e) {
  float both = 1.f;
  if (e.blink < 0) both = std::max(0.f, 1.f + e.blink / 20.f);
  if (e.blink > 0) both = 1.f + 0.06f * e.blink;
  t.right_eye *= both;
  t.left_eye *= both * std::clamp(1.f - e.wink / 39.f, 0.f, 1.f);
  t.lip += 0.45f * e.aaa / 120.f + 0.04f * e.eee / 15.f + 0.05f * e.woo / 15.f;
  t.right_eye = std::max(0.f, t.right_eye);
  t.left_eye = std::max(0.f, t.left_eye);
  t.lip = std::max(0.f, t.lip);
}

}  // namespace lp
