#include "classic/idle_motion.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lp {

namespace {

constexpr double kTwoPi = 6.283185307179586;

// Hash of an integer to [0, 1): the same k always gives the same value.
double unit_hash(std::int64_t k, std::uint64_t salt) {
  std::uint64_t x = static_cast<std::uint64_t>(k) * 0x9E3779B97F4A7C15ull ^ salt;
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
}

double smooth(double x) {
  x = std::clamp(x, 0.0, 1.0);
  return x * x * (3 - 2 * x);
}

// Eyelid closure (0 open .. 1 closed) of a blink that starts at s: fast close
// (70 ms), short hold (40 ms), slower open (150 ms).
double blink_closure(double t, double s) {
  const double u = t - s;
  if (u < 0 || u > 0.26) return 0;
  if (u < 0.07) return smooth(u / 0.07);
  if (u < 0.11) return 1;
  return 1 - smooth((u - 0.11) / 0.15);
}

}  // namespace

IdleSample idle_motion(double t, const IdleMotionParams& p) {
  IdleSample s;
  if (!p.enabled) return s;
  const double a = p.sway_deg;
  // Incommensurate sines: a sway that does not visibly repeat.
  s.yaw_deg = static_cast<float>(a * (0.65 * std::sin(kTwoPi * 0.11 * t) + 0.35 * std::sin(kTwoPi * 0.27 * t + 1.3)));
  s.pitch_deg = static_cast<float>(a * 0.5 * (0.6 * std::sin(kTwoPi * 0.083 * t + 0.7) + 0.4 * std::sin(kTwoPi * 0.19 * t + 2.1)));
  s.roll_deg = static_cast<float>(a * 0.4 * (0.7 * std::sin(kTwoPi * 0.07 * t + 2.6) + 0.3 * std::sin(kTwoPi * 0.23 * t)));
  s.dx = static_cast<float>(0.012 * std::sin(kTwoPi * 0.05 * t + 0.4));
  s.dy = static_cast<float>(0.008 * std::sin(kTwoPi * 0.061 * t + 1.9));
  s.scale = static_cast<float>(1.0 + 0.004 * std::sin(kTwoPi * 0.043 * t));

  // Blinks: one per interval slot, jittered inside it; some are doubled.
  const double interval = std::max(0.5, static_cast<double>(p.blink_interval_s));
  const auto slot = static_cast<std::int64_t>(std::floor(t / interval));
  double closure = 0;
  for (std::int64_t k = slot - 1; k <= slot + 1; ++k) {
    const double start = (k + 0.15 + 0.6 * unit_hash(k, 0x51u)) * interval;
    closure = std::max(closure, blink_closure(t, start));
    if (unit_hash(k, 0xB7u) > 0.8) closure = std::max(closure, blink_closure(t, start + 0.32));
  }
  s.eye_open_fraction = static_cast<float>(1 - closure);

  if (p.talk) {
    // Syllables at ~4 Hz, their size varying, in phrases with pauses.
    const double syllable = 0.5 - 0.5 * std::cos(kTwoPi * 3.7 * t);
    const double size = 0.55 + 0.45 * std::sin(kTwoPi * 0.9 * t + 0.5) * std::sin(kTwoPi * 1.7 * t);
    const double phrase = smooth((std::sin(kTwoPi * 0.17 * t) + 0.35) / 0.4);
    s.lip_open = static_cast<float>(p.talk_open * syllable * std::max(0.0, size) * phrase);
  }
  return s;
}

}  // namespace lp
