#include "core/expression_edit.h"

namespace lp {

std::array<float, 63> expression_edit_delta(const ExpressionEdit& e) {
  std::array<float, 63> d{};
  auto add = [&d](int kp, int axis, float v) { d[static_cast<size_t>(3 * kp + axis)] += v; };
  enum { X = 0, Y = 1, Z = 2 };

  // Pupils (eyeball direction); the horizontal coefficients differ by direction.
  if (e.pupil_x > 0) {
    add(11, X, e.pupil_x * 0.0007f);
    add(15, X, e.pupil_x * 0.001f);
  } else {
    add(11, X, e.pupil_x * 0.001f);
    add(15, X, e.pupil_x * 0.0007f);
  }
  add(11, Y, e.pupil_y * -0.001f);
  add(15, Y, e.pupil_y * -0.001f);
  // Looking up/down also moves the lids: official blink = -eyeball_y / 2.
  const float blink = e.blink - e.pupil_y / 2.f;
  add(11, Y, blink * -0.001f);
  add(13, Y, blink * 0.0003f);
  add(15, Y, blink * -0.001f);
  add(16, Y, blink * 0.0003f);

  // Smile.
  add(20, Y, e.smile * -0.01f);
  add(14, Y, e.smile * -0.02f);
  add(17, Y, e.smile * 0.0065f);
  add(17, Z, e.smile * 0.003f);
  add(13, Y, e.smile * -0.00275f);
  add(16, Y, e.smile * -0.00275f);
  add(3, Y, e.smile * -0.0035f);
  add(7, Y, e.smile * -0.0035f);

  // Wink.
  add(11, Y, e.wink * 0.001f);
  add(13, Y, e.wink * -0.0003f);
  add(17, X, e.wink * 0.0003f);
  add(17, Y, e.wink * 0.0003f);
  add(3, Y, e.wink * -0.0003f);

  // Eyebrow: raising and lowering move different axes.
  if (e.eyebrow > 0) {
    add(1, Y, e.eyebrow * 0.001f);
    add(2, Y, e.eyebrow * -0.001f);
  } else {
    add(1, X, e.eyebrow * -0.001f);
    add(2, X, e.eyebrow * 0.001f);
    add(1, Y, e.eyebrow * 0.0003f);
    add(2, Y, e.eyebrow * -0.0003f);
  }

  // "woo" = pursing (official lip_variation_one).
  add(14, Y, e.woo * 0.001f);
  add(3, Y, e.woo * -0.0005f);
  add(7, Y, e.woo * -0.0005f);
  add(17, Z, e.woo * -0.0005f);

  // "eee" = grin (official lip_variation_two).
  add(20, Z, e.eee * -0.001f);
  add(20, Y, e.eee * -0.001f);
  add(14, Y, e.eee * -0.001f);

  // "aaa" = lip close <-> open (official lip_variation_three).
  add(19, Y, e.aaa * 0.001f);
  add(19, Z, e.aaa * 0.0001f);
  add(17, Y, e.aaa * -0.0001f);
  return d;
}

}  // namespace lp
