#include "core/one_euro.h"

namespace lp {

std::vector<float> OneEuroVectorFilter::filter(const std::vector<float>& x, double t) {
  if (!initialized_ || x.size() != scratch_.size()) {
    bank_.resize(static_cast<int>(x.size()));  // fresh channels: the first sample passes
    scratch_.assign(x.size(), 0.0);
    t_prev_ = t;
    initialized_ = true;
  } else {
    t = t > t_prev_ ? t : t_prev_ + 1.0 / 30.0;
    t_prev_ = t;
  }
  scratch_.assign(x.begin(), x.end());
  bank_.filter(scratch_.data(), static_cast<int>(scratch_.size()), t);
  return std::vector<float>(scratch_.begin(), scratch_.end());
}

}  // namespace lp
