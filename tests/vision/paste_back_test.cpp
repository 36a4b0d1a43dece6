// The feathered paste-back mask and the CPU paste-back (the oracle of the GL shader).
#include "vision_test_env.h"

#include "vision/crop_transform.h"
#include "vision/paste_back.h"

#include <opencv2/imgproc.hpp>

#include <cstdio>

namespace lp {
namespace {

using test::read_media_frames;
using test::read_media_image;
using test::shared_detector;

TEST(PasteBackMask, OneInsideLinearRampOverTheOuter16Pixels) {
  const cv::Mat m = make_paste_back_mask();
  ASSERT_EQ(m.size(), cv::Size(512, 512));
  ASSERT_EQ(m.type(), CV_32FC1);
  EXPECT_FLOAT_EQ(m.at<float>(256, 256), 1.f);
  EXPECT_FLOAT_EQ(m.at<float>(256, 16), 1.f);
  EXPECT_FLOAT_EQ(m.at<float>(256, 0), 0.f);
  EXPECT_FLOAT_EQ(m.at<float>(256, 8), 0.5f);
  EXPECT_FLOAT_EQ(m.at<float>(256, 511), 0.f);
  EXPECT_FLOAT_EQ(m.at<float>(503, 256), 0.5f);
  // Linear: equal steps along the ramp, everywhere on the border.
  for (int x = 1; x <= 16; ++x) EXPECT_NEAR(m.at<float>(300, x) - m.at<float>(300, x - 1), 1.f / 16, 1e-6);
  // Corners take the nearer edge.
  EXPECT_FLOAT_EQ(m.at<float>(4, 10), 4.f / 16);
  cv::Mat flipped;
  cv::flip(m, flipped, -1);
  EXPECT_EQ(cv::norm(m, flipped, cv::NORM_INF), 0.0);
  cv::Mat t;
  cv::transpose(m, t);
  EXPECT_EQ(cv::norm(m, t, cv::NORM_INF), 0.0);
}

struct PasteCase {
  const char* name;
  cv::Mat image;
};

void check_round_trip(const cv::Mat& img, const std::string& what, const CropParams& params) {
  const DetectionResult r = shared_detector()->detect(img);
  ASSERT_TRUE(r.ok()) << what << ": " << r.message;
  const FaceCrop c = crop_face(img, r.largest().landmarks, params);
  ASSERT_TRUE(c.ok());
  const PasteBackResult p = paste_back(c.crop512, c.transform, img);
  ASSERT_TRUE(p.ok()) << p.error;
  ASSERT_EQ(p.image.size(), img.size());
  ASSERT_EQ(p.image.type(), img.type());
  // Inside the mask the unmodified crop reproduces the original.
  const double inside = masked_psnr(p.image, img, p.mask, 0.999f);
  const double blend = masked_psnr(p.image, img, p.mask, 0.001f);
  std::printf("%s: paste-back PSNR inside mask %.1f dB, whole mask area %.1f dB (crop side %.0f px)\n",
              what.c_str(), inside, blend, c.transform.size);
  EXPECT_GT(inside, 40.0) << what;
  EXPECT_GT(blend, 40.0) << what;
  // Where the mask is 0 the original is untouched, bit for bit.
  cv::Mat outside = p.mask == 0.f;
  ASSERT_GT(cv::countNonZero(outside), 0);
  cv::Mat diff;
  cv::absdiff(p.image, img, diff);
  if (diff.channels() > 1) cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(cv::countNonZero(diff & outside), 0) << what;
}

TEST(PasteBack, UnmodifiedCropReproducesTheOriginalInsideTheMask) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  check_round_trip(read_media_image("s42.jpg"), "s42.jpg", CropParams::source());
  check_round_trip(read_media_frames("d0.mp4", 10, 1).at(0), "d0.mp4[10]", CropParams::driving());
  // s5: the crop is larger than the image on the sides, the black padding
  // stays outside the pasted region.
  check_round_trip(read_media_image("s5.jpg"), "s5.jpg", CropParams::source());
}

TEST(PasteBack, AModifiedCropChangesOnlyTheMaskedRegion) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  const cv::Mat img = read_media_image("s42.jpg");
  const DetectionResult r = shared_detector()->detect(img);
  ASSERT_TRUE(r.ok());
  const FaceCrop c = crop_face(img, r.largest().landmarks, CropParams::source());
  cv::Mat white(512, 512, CV_8UC3, cv::Scalar::all(255));
  const PasteBackResult p = paste_back(white, c.transform, img);
  ASSERT_TRUE(p.ok());
  // Fully inside the mask: white. Fully outside: the original, unchanged.
  const cv::Point2f centre = c.transform.to_original({256.f, 256.f});
  const cv::Vec3b v = p.image.at<cv::Vec3b>(cv::Point(centre));
  EXPECT_EQ(v, cv::Vec3b(255, 255, 255));
  cv::Mat diff;
  cv::absdiff(p.image, img, diff);
  cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
  const cv::Mat outside = p.mask == 0.f;
  ASSERT_GT(cv::countNonZero(outside), 0);
  EXPECT_EQ(cv::countNonZero(diff & outside), 0) << "pixels outside the pasted region changed";
  // Half-way up the ramp (8 px into the crop border, on whichever side of the
  // crop lies inside the image): an even blend of white and the original.
  int checked = 0;
  for (const cv::Point2f q : {cv::Point2f(256.f, 8.f), cv::Point2f(8.f, 256.f), cv::Point2f(504.f, 256.f),
                              cv::Point2f(256.f, 504.f)}) {
    const cv::Point2f o = c.transform.to_original(q);
    const cv::Point ri(cvRound(o.x), cvRound(o.y));
    if (!cv::Rect(0, 0, img.cols, img.rows).contains(ri)) continue;
    ++checked;
    EXPECT_NEAR(p.mask.at<float>(ri), 0.5f, 0.1f);
    const cv::Vec3b orig = img.at<cv::Vec3b>(ri), got = p.image.at<cv::Vec3b>(ri);
    for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(got[ch], 0.5 * (255 + orig[ch]), 0.1 * 255 + 2) << "channel " << ch;
  }
  std::printf("ramp points checked: %d\n", checked);
  EXPECT_GT(checked, 0) << "no side of the crop's border ramp lies inside the image";
}

TEST(PasteBack, BadInputIsAnError) {
  const CropTransform t = crop_transform_from_square({100, 100}, 150, 0.1);
  const cv::Mat img(200, 200, CV_8UC3, cv::Scalar::all(90));
  EXPECT_FALSE(paste_back(cv::Mat(), t, img).ok());
  EXPECT_FALSE(paste_back(cv::Mat(256, 256, CV_8UC3), t, img).ok());
  EXPECT_FALSE(paste_back(cv::Mat(512, 512, CV_8UC1), t, img).ok());
  EXPECT_FALSE(paste_back(cv::Mat(512, 512, CV_8UC3), t, cv::Mat()).ok());
  EXPECT_FALSE(paste_back(cv::Mat(512, 512, CV_8UC3), t, img, cv::Mat(512, 512, CV_8UC1)).ok());
  // A crop entirely outside the image pastes nothing.
  const CropTransform far = crop_transform_from_square({5000, 5000}, 100, 0);
  const PasteBackResult p = paste_back(cv::Mat(512, 512, CV_8UC3, cv::Scalar::all(0)), far, img);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(cv::norm(p.image, img, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace lp
