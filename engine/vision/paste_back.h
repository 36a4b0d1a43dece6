#pragma once
// Compositing an (animated) 512x512 crop back into the original image: the
// feathered crop mask and the CPU paste-back, which is the reference ("oracle")
// for the GL paste-back shader of the live session.
#include "vision/crop_transform.h"

#include <opencv2/core.hpp>

#include <string>

namespace lp {

// A size x size CV_32FC1 mask: 1 inside, falling linearly to 0 over the outer
// `feather` pixels of the square (the value at a pixel is
// clamp(d / feather, 0, 1) with d = distance in pixels from the pixel centre to
// the nearest outer edge of the square, minus 0.5), so the crop's border and
// its black out-of-image padding never show.
cv::Mat make_paste_back_mask(int size = 512, int feather = 16);

struct PasteBackResult {
  cv::Mat image;       // same size and type as the original
  cv::Mat mask;        // CV_32FC1, original size: the warped mask that was used
  std::string error;   // non-empty on bad input
  bool ok() const { return error.empty(); }
};

// result = warp(crop, M_c2o) * m + original * (1 - m), m = warp(mask, M_c2o),
// both warps bilinear (INTER_LINEAR) with zero outside the crop. crop and
// original must share type (CV_8UC3, CV_8UC4 or CV_8UC1, or CV_32F of the same
// channels); crop must be t.dsize square; mask must be t.dsize square CV_32FC1
// (an empty mask means make_paste_back_mask(t.dsize)).
PasteBackResult paste_back(const cv::Mat& crop, const CropTransform& t, const cv::Mat& original,
                           const cv::Mat& mask = cv::Mat());

// PSNR in dB of a vs b over the pixels where weight >= min_weight (weight
// CV_32FC1 of the same size; empty = all pixels). +inf-like 999 when equal.
double masked_psnr(const cv::Mat& a, const cv::Mat& b, const cv::Mat& weight = cv::Mat(),
                   float min_weight = 1.0f);

}  // namespace lp
