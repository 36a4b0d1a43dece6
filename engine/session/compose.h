#pragma once
// CPU composition of an engine result into the final picture: the path of the
// CLI (`livepuppet-cli render`) and of tests, and the oracle the GL passes of
// the app are checked against.
#include "engine.h"

#include <opencv2/core.hpp>

namespace lp {

// The output image (BGR, CV_8UC3): the neural crop pasted back into the source
// (or the crop alone when paste-back is off), the classic mesh warp of the
// source, or the driving frame when there is no source. Empty if none.
cv::Mat compose_cpu(const AnimatedFrame& frame);

}  // namespace lp
