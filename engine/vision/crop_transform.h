#pragma once
// The LivePortrait crop (official crop.py: parse_rect_from_landmark +
// _estimate_similar_transform_from_pts), adapted to dlib's 68 landmarks:
//  - eye centres = mean of each eye's 6 points (36-41, 42-47), lip centre =
//    mean of the 20 mouth points (48-67);
//  - uy = unit vector from the eyes' midpoint to the lip centre,
//    ux = (uy.y, -uy.x) (the face's x axis);
//  - the landmarks, rotated into (ux, uy) about their mean, give a bounding box;
//    the crop is the square with side = longest box side * scale, centred on
//    the box centre moved by vx*side along ux and vy*side along uy;
//  - with rotate = false the crop stays axis-aligned (angle 0).
// The crop square is mapped onto a dsize x dsize image (512 by default).
//
// Matrix convention: 2x3 affine matrices in double precision (cv::Matx23d,
// i.e. CV_64F when converted with to_mat()). M_o2c maps original-image pixel
// coordinates to crop pixel coordinates; M_c2o is its exact inverse. Both use
// OpenCV's pixel-centre convention, so cv::warpAffine(original, crop, M_o2c,
// {dsize, dsize}) produces the crop and cv::warpAffine(crop, ..., M_c2o,
// original.size()) pastes it back.
#include "common/crop_params.h"
#include "vision/face.h"

#include <opencv2/core.hpp>

#include <string>

namespace lp {

// Eye and mouth anchors of a 68-point face.
struct FaceAnchors {
  cv::Point2d right_eye;  // mean of 36-41 (the eye on the image's left)
  cv::Point2d left_eye;   // mean of 42-47
  cv::Point2d lip;        // mean of 48-67
  cv::Point2d eyes_mid() const { return (right_eye + left_eye) * 0.5; }
};
FaceAnchors face_anchors(const Landmarks68& lm);

// The crop square in original-image coordinates plus the two affine maps.
struct CropTransform {
  cv::Point2d center;   // centre of the crop square (original pixels)
  double size = 0;      // side of the crop square (original pixels)
  double angle = 0;     // roll of the crop's x axis, radians (atan2(ux.y, ux.x))
  int dsize = 512;      // side of the crop image
  cv::Matx23d M_o2c;    // original -> crop
  cv::Matx23d M_c2o;    // crop -> original

  cv::Point2f to_crop(const cv::Point2f& p) const;
  cv::Point2f to_original(const cv::Point2f& p) const;
  Landmarks68 to_crop(const Landmarks68& lm) const;
  // The crop square's 4 corners in the original image (tl, tr, br, bl), e.g.
  // for the debug overlay.
  std::array<cv::Point2f, 4> corners() const;
  // Same transform for another crop resolution (e.g. 256 for the network input).
  CropTransform resized(int new_dsize) const;
  cv::Mat o2c_mat() const { return cv::Mat(M_o2c, true); }  // 2x3 CV_64F
  cv::Mat c2o_mat() const { return cv::Mat(M_c2o, true); }  // 2x3 CV_64F
};

// The crop square for these landmarks. Pure maths, never fails (degenerate
// landmarks give an upright crop around their mean).
CropTransform compute_crop_transform(const Landmarks68& lm, const CropParams& params,
                                     int dsize = 512);
// The same maps built from an explicit square (centre, side, angle): used by
// CropSmoother, and by callers that already have a box.
CropTransform crop_transform_from_square(const cv::Point2d& center, double size, double angle,
                                         int dsize = 512);

// A cropped face ready for the engines.
struct FaceCrop {
  CropTransform transform;   // dsize = 512
  cv::Mat crop512;           // 512x512, same type as the input image
  cv::Mat input256;          // 256x256 network input (INTER_AREA from crop512)
  Landmarks68 landmarks512;  // landmarks in crop512 pixel coordinates
  std::string error;         // non-empty when the crop could not be made
  bool ok() const { return error.empty(); }
};

// Crops `image` (any OpenCV type; BGR for the engines) with the transform of
// `lm`. Pixels outside the image are black (BORDER_CONSTANT), as upstream.
FaceCrop crop_face(const cv::Mat& image, const Landmarks68& lm, const CropParams& params);
// Crops with an already computed transform (e.g. a smoothed driving crop).
FaceCrop crop_face(const cv::Mat& image, const Landmarks68& lm, const CropTransform& t);

}  // namespace lp
