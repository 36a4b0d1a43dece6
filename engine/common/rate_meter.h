#pragma once
// Events per second for the status bar (engine, capture): the mean interval
// between the events of the last second, always including the last two, so a
// CPU that finishes one frame every 12 s reads 0.08 fps, not the 1.0 fps that a
// count of the events in the last second gives. More than a second after the
// last event the rate is at most one over the time since then: a source that
// stalled falls towards 0 instead of keeping its last rate.
#include <cstdint>
#include <deque>

namespace lp {

class RateMeter {
 public:
  void tick(std::int64_t now_ns) {
    times_.push_back(now_ns);
    while (times_.size() > 2 && now_ns - times_.front() > kWindowNs) times_.pop_front();
  }

  double rate(std::int64_t now_ns) const {
    if (times_.size() < 2) return 0;
    const double span_s = static_cast<double>(times_.back() - times_.front()) * 1e-9;
    if (span_s <= 0) return 0;
    double r = static_cast<double>(times_.size() - 1) / span_s;
    const double since_s = static_cast<double>(now_ns - times_.back()) * 1e-9;
    if (since_s > 1.0 && 1.0 / since_s < r) r = 1.0 / since_s;
    return r;
  }

 private:
  static constexpr std::int64_t kWindowNs = 1'000'000'000;
  std::deque<std::int64_t> times_;
};

}  // namespace lp
