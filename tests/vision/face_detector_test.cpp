// Detection and 68-point landmarks on the real test media.
#include "vision_test_env.h"

#include "vision/crop_transform.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <fstream>
#include <thread>

namespace lp {
namespace {

using test::media;
using test::read_media_frames;
using test::read_media_image;
using test::shared_detector;

// Landmarks of a real face: inside (a margin around) the detector box, with the
// eyes above the mouth and the image-left eye left of the image-right eye.
void expect_plausible_face(const Face& f, const std::string& what) {
  const cv::Rect2f grown(f.box.x - 0.5f * f.box.width, f.box.y - 0.5f * f.box.height, 2 * f.box.width,
                         2 * f.box.height);
  for (const auto& p : f.landmarks) ASSERT_TRUE(grown.contains(p)) << what << " landmark " << p;
  const FaceAnchors a = face_anchors(f.landmarks);
  EXPECT_LT(a.eyes_mid().y, a.lip.y) << what;
  EXPECT_LT(a.right_eye.x, a.left_eye.x) << what;
  EXPECT_GT(f.box.width, 40.f) << what;
}

// One test per group rather than per file: ctest runs each case in its own
// process, and each process pays the ~1 s model load.
TEST(FaceDetector, FindsTheFaceInEveryPortrait) {
  LP_REQUIRE_SHARED("media/s1.jpg");
  LP_REQUIRE_DETECTOR();
  for (const char* name : {"s0.jpg", "s1.jpg", "s2.jpg", "s5.jpg", "s9.jpg", "s42.jpg", "d30.jpg", "d9.jpg", "d19.jpg"}) {
    SCOPED_TRACE(name);
    const DetectionResult r = shared_detector()->detect_file(media(name).string());
    ASSERT_TRUE(r.ok()) << name << ": " << r.message;
    EXPECT_TRUE(r.message.empty());
    for (size_t i = 0; i < r.faces.size(); ++i) {
      EXPECT_EQ(r.faces[i].index, static_cast<int>(i));
      if (i > 0) {
        EXPECT_GE(r.faces[i - 1].box.area(), r.faces[i].box.area());
      }
    }
    expect_plausible_face(r.largest(), name);
  }
}

TEST(FaceDetector, FindsTheFaceInFramesOfTheDrivingVideos) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  LP_REQUIRE_DETECTOR();
  struct Clip {
    const char* file;
    int first, count, step;
  };
  for (const Clip& v : {Clip{"d0.mp4", 0, 3, 35}, Clip{"d3.mp4", 0, 3, 150}, Clip{"d9.mp4", 0, 3, 250},
                        Clip{"d13.mp4", 0, 3, 150}}) {
    const auto frames = read_media_frames(v.file, v.first, v.count, v.step);
    ASSERT_EQ(static_cast<int>(frames.size()), v.count) << "could not decode " << v.file;
    for (size_t i = 0; i < frames.size(); ++i) {
      const DetectionResult r = shared_detector()->detect(frames[i]);
      ASSERT_TRUE(r.ok()) << v.file << " frame " << v.first + static_cast<int>(i) * v.step << ": " << r.message;
      expect_plausible_face(r.largest(), v.file);
    }
  }
}

TEST(FaceDetector, CatPhotoIsAnExplicitNoFaceResult) {
  LP_REQUIRE_SHARED("media/s39.jpg");
  LP_REQUIRE_DETECTOR();
  const std::string path = media("s39.jpg").string();
  const DetectionResult r = shared_detector()->detect_file(path);
  EXPECT_EQ(r.status, DetectStatus::NoFace);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.faces.empty());
  EXPECT_NE(r.message.find("no face"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(path), std::string::npos) << "message should name the file: " << r.message;
}

// A caller whose request went stale stops before the search: the hook is
// asked once the detector is free and again before the upsampled retry.
TEST(FaceDetector, CancelledSearchStopsAndSaysSo) {
  LP_REQUIRE_SHARED("media/s39.jpg");
  LP_REQUIRE_SHARED("media/s1.jpg");
  LP_REQUIRE_DETECTOR();
  int asked = 0;
  DetectOptions stale;
  stale.source_name = "s1.jpg";
  stale.cancelled = [&] { ++asked; return true; };
  const DetectionResult r = shared_detector()->detect(read_media_image("s1.jpg"), stale);
  EXPECT_EQ(r.status, DetectStatus::Cancelled);
  EXPECT_TRUE(r.faces.empty());
  EXPECT_NE(r.message.find("s1.jpg"), std::string::npos) << r.message;
  EXPECT_EQ(asked, 1);
  // Not cancelled: the same search as without the hook, asked before each
  // pass (the cat photo has no face, so the upsampled retry runs too).
  asked = 0;
  DetectOptions live;
  live.cancelled = [&] { ++asked; return false; };
  EXPECT_TRUE(shared_detector()->detect(read_media_image("s1.jpg"), live).ok());
  EXPECT_EQ(asked, 1);
  asked = 0;
  EXPECT_EQ(shared_detector()->detect(read_media_image("s39.jpg"), live).status, DetectStatus::NoFace);
  EXPECT_EQ(asked, 2);
  // Cancelled between the passes: the retry does not run.
  asked = 0;
  DetectOptions late;
  late.cancelled = [&] { return ++asked > 1; };
  EXPECT_EQ(shared_detector()->detect(read_media_image("s39.jpg"), late).status, DetectStatus::Cancelled);
  EXPECT_EQ(asked, 2);
}

TEST(FaceDetector, LargeImageIsDetectedOnADownscaledCopyAndMappedBack) {
  LP_REQUIRE_SHARED("media/s2.jpg");
  LP_REQUIRE_DETECTOR();
  const cv::Mat img = read_media_image("s2.jpg");
  ASSERT_EQ(img.cols, 2048);
  DetectOptions fast;  // default: detection on <= 800 px
  const DetectionResult r = shared_detector()->detect(img, fast);
  ASSERT_TRUE(r.ok()) << r.message;
  // The same face found on a 2x smaller copy by hand, mapped back by hand.
  cv::Mat half;
  cv::resize(img, half, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
  const DetectionResult rh = shared_detector()->detect(half, fast);
  ASSERT_TRUE(rh.ok()) << rh.message;
  const cv::Rect2f& b = r.largest().box;
  const cv::Rect2f& bh = rh.largest().box;
  EXPECT_NEAR(b.x, 2 * bh.x, 0.05 * b.width);
  EXPECT_NEAR(b.y, 2 * bh.y, 0.05 * b.width);
  EXPECT_NEAR(b.width, 2 * bh.width, 0.08 * b.width);
  // Landmarks come from the full-resolution image: identical to predicting
  // them on the full image in the returned box.
  Landmarks68 full;
  ASSERT_TRUE(shared_detector()->predict_landmarks(img, b, full));
  for (int i = 0; i < kNumLandmarks; ++i) {
    EXPECT_NEAR(full[i].x, r.largest().landmarks[i].x, 1e-3);
    EXPECT_NEAR(full[i].y, r.largest().landmarks[i].y, 1e-3);
  }
}

TEST(FaceDetector, SmallFaceIsFoundWithUpsampling) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  // s42's face shrunk to ~55 px: below the 80 px HOG window at the native scale.
  cv::Mat small;
  cv::resize(read_media_image("s42.jpg"), small, cv::Size(110, 110), 0, 0, cv::INTER_AREA);
  cv::Mat canvas(300, 300, CV_8UC3, cv::Scalar(128, 128, 128));
  small.copyTo(canvas(cv::Rect(95, 95, 110, 110)));
  DetectOptions no_up;
  no_up.upsample_if_none = false;
  EXPECT_EQ(shared_detector()->detect(canvas, no_up).status, DetectStatus::NoFace);
  DetectOptions up;  // default: retries with one upsample level when nothing is found
  const DetectionResult r = shared_detector()->detect(canvas, up);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(cv::Rect2f(95, 95, 110, 110).contains(face_anchors(r.largest().landmarks).eyes_mid()));
}

TEST(FaceDetector, CorruptEmptyAndTinyImagesAreErrorsNotCrashes) {
  LP_REQUIRE_DETECTOR();
  const auto dir = test::scratch_dir();
  const FaceDetector& det = *shared_detector();

  const std::string garbage = (dir / "garbage.jpg").string();
  {
    std::ofstream f(garbage, std::ios::binary);
    std::srand(7);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>(std::rand() & 0xff));
  }
  DetectionResult r = det.detect_file(garbage);
  EXPECT_EQ(r.status, DetectStatus::InvalidImage);
  EXPECT_NE(r.message.find(garbage), std::string::npos) << r.message;

  const std::string empty_file = (dir / "empty.png").string();
  { std::ofstream f(empty_file, std::ios::binary); }
  r = det.detect_file(empty_file);
  EXPECT_EQ(r.status, DetectStatus::InvalidImage);
  EXPECT_NE(r.message.find("empty"), std::string::npos) << r.message;

  r = det.detect_file((dir / "does-not-exist.jpg").string());
  EXPECT_EQ(r.status, DetectStatus::InvalidImage);
  EXPECT_NE(r.message.find("does not exist"), std::string::npos) << r.message;

  r = det.detect(cv::Mat());
  EXPECT_EQ(r.status, DetectStatus::InvalidImage);
  EXPECT_FALSE(r.message.empty());

  const std::string one_px = (dir / "one.png").string();
  ASSERT_TRUE(cv::imwrite(one_px, cv::Mat(1, 1, CV_8UC3, cv::Scalar(10, 20, 30))));
  r = det.detect_file(one_px);
  EXPECT_EQ(r.status, DetectStatus::InvalidImage);
  EXPECT_NE(r.message.find("too small"), std::string::npos) << r.message;

  r = det.detect(cv::Mat(100, 100, CV_32FC3, cv::Scalar::all(0.5)));
  EXPECT_EQ(r.status, DetectStatus::InvalidImage);

  Landmarks68 lm;
  EXPECT_FALSE(det.predict_landmarks(cv::Mat(), cv::Rect2f(0, 0, 50, 50), lm));
  EXPECT_FALSE(det.predict_landmarks(cv::Mat(1, 1, CV_8UC3), cv::Rect2f(0, 0, 50, 50), lm));
}

TEST(FaceDetector, TruncatedJpegDoesNotCrash) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  const auto dir = test::scratch_dir();
  std::ifstream in(media("s42.jpg"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = (dir / "cut.jpg").string();
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 3));
  const DetectionResult r = shared_detector()->detect_file(cut);
  // libjpeg may decode the top third and fill the rest: any outcome but a crash
  // is fine, and a failure must say why.
  if (!r.ok()) {
    EXPECT_FALSE(r.message.empty());
  }
}

TEST(FaceDetector, AcceptsGrayAndBgraImages) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  const cv::Mat bgr = read_media_image("s42.jpg");
  cv::Mat gray, bgra;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  const DetectionResult a = shared_detector()->detect(bgr);
  const DetectionResult g = shared_detector()->detect(gray);
  const DetectionResult c = shared_detector()->detect(bgra);
  ASSERT_TRUE(a.ok() && g.ok() && c.ok());
  EXPECT_NEAR(g.largest().box.x, a.largest().box.x, 2.0);
  EXPECT_NEAR(c.largest().landmarks[30].x, a.largest().landmarks[30].x, 0.01);
}

TEST(FaceDetector, MissingModelIsAClearError) {
  const FaceDetector det("/nonexistent/dir/shape_predictor_68_face_landmarks.dat");
  EXPECT_FALSE(det.ready());
  EXPECT_NE(det.load_error().find("/nonexistent/dir"), std::string::npos) << det.load_error();
  const DetectionResult r = det.detect(cv::Mat(100, 100, CV_8UC3, cv::Scalar::all(0)));
  EXPECT_EQ(r.status, DetectStatus::ModelError);
  EXPECT_FALSE(r.message.empty());
}

TEST(FaceDetector, Bz2ModelIsUnpackedIntoTheCacheAndBadContentReported) {
  if (std::system("command -v bzip2 >/dev/null 2>&1") != 0) GTEST_SKIP() << "bzip2 not installed";
  const auto dir = test::scratch_dir();
  // A valid bzip2 stream whose content is not a dlib model: exercises the
  // unpack path cheaply (compressing the real 100 MB model would take ~10 s).
  const auto dat = dir / "fake_model.dat";
  std::ofstream(dat) << "not a dlib model\n";
  ASSERT_EQ(std::system(("bzip2 -f '" + dat.string() + "'").c_str()), 0);
  const auto bz = dir / "fake_model.dat.bz2";
  ASSERT_TRUE(std::filesystem::exists(bz));
  const char* old = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old ? old : "";
  setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1);
  const FaceDetector det(bz.string());
  if (old) setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  else unsetenv("XDG_CACHE_HOME");
  EXPECT_FALSE(det.ready());
  EXPECT_TRUE(std::filesystem::exists(dir / "cache" / "livepuppet" / "fake_model.dat"));
  EXPECT_NE(det.load_error().find("could not be read"), std::string::npos) << det.load_error();
}

TEST(FaceDetector, ClonesAndThreadsGiveTheSameFaces) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  const cv::Mat img = read_media_image("s42.jpg");
  const DetectionResult ref = shared_detector()->detect(img);
  ASSERT_TRUE(ref.ok());
  const auto clone = shared_detector()->clone();
  ASSERT_TRUE(clone->ready());
  DetectionResult a, b;
  std::thread t1([&] { a = shared_detector()->detect(img); });
  std::thread t2([&] { b = clone->detect(img); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.ok() && b.ok());
  for (const DetectionResult* r : {&a, &b}) {
    EXPECT_FLOAT_EQ(r->largest().box.x, ref.largest().box.x);
    EXPECT_FLOAT_EQ(r->largest().landmarks[8].y, ref.largest().landmarks[8].y);
  }
}

}  // namespace
}  // namespace lp
