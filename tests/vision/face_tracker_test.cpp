// Tracking on video: follows the face between detections, drops a lost track,
// picks up a new larger face, and never crashes on bad frames.
#include "vision_test_env.h"

#include "vision/crop_transform.h"
#include "vision/face_tracker.h"
#include "vision/tracking_bench.h"

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <sstream>
#include <thread>

namespace lp {
namespace {

using test::media;
using test::read_media_frames;
using test::read_media_image;
using test::shared_detector;

TrackerOptions sync_options() {
  TrackerOptions o;
  o.background_redetect = false;  // deterministic: detections on the calling thread
  return o;
}

double mean_landmark_distance(const Landmarks68& a, const Landmarks68& b) {
  double s = 0;
  for (int i = 0; i < kNumLandmarks; ++i) s += cv::norm(a[i] - b[i]);
  return s / kNumLandmarks;
}

TEST(FaceTracker, FollowsTheFaceOfD0BetweenDetections) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  LP_REQUIRE_DETECTOR();
  const auto frames = read_media_frames("d0.mp4", 0, 78);
  ASSERT_EQ(frames.size(), 78u);
  TrackerOptions o = sync_options();
  o.smoothing = false;
  FaceTracker tracker(shared_detector(), o);
  int tracked = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    const TrackResult r = tracker.track(frames[i], i / 25.0);
    ASSERT_TRUE(r.has_face()) << "frame " << i << ": " << r.message;
    if (r.status == TrackStatus::Tracking) ++tracked;
    // Every 10th frame: the tracked landmarks agree with a full detection.
    if (i % 10 == 5) {
      const DetectionResult d = shared_detector()->detect(frames[i]);
      ASSERT_TRUE(d.ok());
      const double face = d.largest().box.width;
      EXPECT_LT(mean_landmark_distance(r.raw_landmarks, d.largest().landmarks), 0.03 * face) << "frame " << i;
    }
  }
  const TrackerStats st = tracker.stats();
  EXPECT_GT(tracked, 70) << "most frames should be tracked, not detected";
  EXPECT_LE(st.detections, 78 / o.redetect_interval + 2);
  EXPECT_EQ(st.lost, 0);
}

TEST(FaceTracker, BackgroundRedetectionKeepsTracking) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  LP_REQUIRE_DETECTOR();
  const auto frames = read_media_frames("d0.mp4", 0, 78);
  TrackerOptions o;  // background re-detection (the live default)
  o.redetect_interval = 10;
  FaceTracker tracker(shared_detector(), o);
  for (size_t i = 0; i < frames.size(); ++i) {
    const TrackResult r = tracker.track(frames[i], i / 25.0);
    ASSERT_TRUE(r.has_face()) << "frame " << i << ": " << r.message;
  }
  // A background detection is collected by a later track() call once it has
  // finished; on a loaded machine that may be after the last frame, so keep
  // tracking the last frame (as a paused video would) until one arrives.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int k = 0; tracker.stats().background_detections < 1 && std::chrono::steady_clock::now() < deadline; ++k) {
    ASSERT_TRUE(tracker.track(frames.back(), (frames.size() + k) / 25.0).has_face());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(tracker.stats().background_detections, 1);
}

// A frame with s42's face small at the left; from frame `big_from` on, a
// larger copy of s1's face appears on the right (its face starts at x ~ 780).
cv::Mat scene(const cv::Mat& small_face, const cv::Mat& big_face, bool with_big, int jitter) {
  cv::Mat canvas(720, 1280, CV_8UC3, cv::Scalar(90, 100, 110));
  small_face.copyTo(canvas(cv::Rect(60 + jitter, 200, small_face.cols, small_face.rows)));
  if (with_big) big_face.copyTo(canvas(cv::Rect(560, 10, big_face.cols, big_face.rows)));
  return canvas;
}

TEST(FaceTracker, PicksUpANewLargerFace) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  cv::Mat small, big;
  // Faces of ~110 px and ~190 px.
  cv::resize(read_media_image("s42.jpg"), small, cv::Size(220, 220), 0, 0, cv::INTER_AREA);
  cv::resize(read_media_image("s1.jpg"), big, cv::Size(700, 700), 0, 0, cv::INTER_AREA);
  TrackerOptions o = sync_options();
  o.redetect_interval = 5;
  FaceTracker tracker(shared_detector(), o);
  float first_width = 0;
  int switched_at = -1;
  for (int i = 0; i < 25; ++i) {
    const TrackResult r = tracker.track(scene(small, big, i >= 8, i % 3), i / 30.0);
    ASSERT_TRUE(r.has_face()) << "frame " << i;
    if (i == 0) first_width = r.face.box.width;
    if (r.switched_face && switched_at < 0) switched_at = i;
    if (i < 8) {
      EXPECT_LT(r.face.box.x, 640.f);
    }
    if (i >= 8 + o.redetect_interval) {
      EXPECT_GT(r.face.box.x, 640.f) << "frame " << i << ": still on the small face";
      EXPECT_GT(r.face.box.width, 1.5f * first_width);
    }
  }
  EXPECT_GE(switched_at, 8);
  EXPECT_LE(switched_at, 8 + o.redetect_interval);
}

TEST(FaceTracker, LosesTheFaceWhenItLeavesAndFindsItAgain) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  LP_REQUIRE_SHARED("media/s39.jpg");
  LP_REQUIRE_DETECTOR();
  const auto frames = read_media_frames("d0.mp4", 0, 10);
  const TrackerOptions o = sync_options();
  // The face leaves: an empty wall, then a cat (texture a shape predictor
  // happily fits a face to).
  cv::Mat cat;
  cv::resize(read_media_image("s39.jpg"), cat, frames[0].size(), 0, 0, cv::INTER_AREA);
  const cv::Mat wall(frames[0].size(), frames[0].type(), cv::Scalar(70, 80, 75));
  for (const cv::Mat* empty : {&wall, static_cast<const cv::Mat*>(&cat)}) {
    FaceTracker tracker(shared_detector(), o);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(tracker.track(frames[i], i / 25.0).has_face());
    // Within verify_interval + 2 frames the tracker reports no face, and keeps
    // doing so while the face is away.
    int first_no_face = -1;
    for (int i = 0; i < 20; ++i) {
      const TrackResult r = tracker.track(*empty, (5 + i) / 25.0);
      if (r.status == TrackStatus::NoFace && first_no_face < 0) first_no_face = i;
      if (first_no_face >= 0) {
        EXPECT_EQ(r.status, TrackStatus::NoFace) << "frame " << i << " after the face left";
        EXPECT_FALSE(r.message.empty());
      }
    }
    EXPECT_GE(first_no_face, 0) << "the track never noticed the face was gone";
    EXPECT_LE(first_no_face, o.verify_interval + 2);
    // And comes back: found by the next search (every search_interval frames).
    bool found = false;
    for (int i = 0; i < o.search_interval && !found; ++i) found = tracker.track(frames[9], 1.0 + i / 25.0).has_face();
    EXPECT_TRUE(found);
  }
}

TEST(FaceTracker, BadFramesAreReportedNotCrashes) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  LP_REQUIRE_DETECTOR();
  const auto frames = read_media_frames("d0.mp4", 0, 3);
  FaceTracker tracker(shared_detector(), sync_options());
  EXPECT_TRUE(tracker.track(frames[0], 0.0).has_face());
  TrackResult r = tracker.track(cv::Mat(), 0.04);
  EXPECT_EQ(r.status, TrackStatus::InvalidFrame);
  EXPECT_FALSE(r.message.empty());
  r = tracker.track(cv::Mat(1, 1, CV_8UC3), 0.08);
  EXPECT_EQ(r.status, TrackStatus::InvalidFrame);
  r = tracker.track(cv::Mat(64, 64, CV_32FC3), 0.1);
  EXPECT_EQ(r.status, TrackStatus::InvalidFrame);
  EXPECT_TRUE(tracker.track(frames[1], 0.12).has_face());

  // A tracker whose detector has no model answers with the reason.
  FaceTracker broken(std::make_shared<FaceDetector>("/nonexistent/model.dat"));
  r = broken.track(frames[0], 0.0);
  EXPECT_EQ(r.status, TrackStatus::InvalidFrame);
  EXPECT_NE(r.message.find("/nonexistent"), std::string::npos) << r.message;
}

TEST(FaceTracker, SmoothedLandmarksJitterLessThanRaw) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  // A still portrait with sub-pixel camera shake: the raw landmarks jitter,
  // the smoothed ones much less; a real move is followed quickly.
  const cv::Mat img = read_media_image("s42.jpg");
  FaceTracker tracker(shared_detector(), sync_options());
  cv::RNG rng(11);
  double raw_motion = 0, smooth_motion = 0;
  TrackResult prev;
  for (int i = 0; i < 40; ++i) {
    const cv::Matx23d shake(1, 0, rng.uniform(-1.0, 1.0), 0, 1, rng.uniform(-1.0, 1.0));
    cv::Mat f;
    cv::warpAffine(img, f, shake, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    const TrackResult r = tracker.track(f, i / 30.0);
    ASSERT_TRUE(r.has_face());
    if (i >= 10) {
      raw_motion += mean_landmark_distance(r.raw_landmarks, prev.raw_landmarks);
      smooth_motion += mean_landmark_distance(r.face.landmarks, prev.face.landmarks);
    }
    prev = r;
  }
  std::printf("frame-to-frame landmark motion: raw %.2f px, smoothed %.2f px\n", raw_motion / 30, smooth_motion / 30);
  EXPECT_LT(smooth_motion, 0.6 * raw_motion);
  // A 40 px move: the smoothed landmarks follow within 4 frames (< 3 px behind).
  const cv::Matx23d move(1, 0, 40, 0, 1, 0);
  cv::Mat moved;
  cv::warpAffine(img, moved, move, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  TrackResult r;
  for (int i = 0; i < 4; ++i) r = tracker.track(moved, (40 + i) / 30.0);
  ASSERT_TRUE(r.has_face());
  EXPECT_LT(mean_landmark_distance(r.face.landmarks, r.raw_landmarks), 3.0);
}

TEST(FaceTracker, RepeatedTimestampsDoNotFreezeTheSmoothedLandmarks) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_DETECTOR();
  const cv::Mat img = read_media_image("s42.jpg");
  cv::Mat moved;
  cv::warpAffine(img, moved, cv::Matx23d(1, 0, 30, 0, 1, 0), img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  FaceTracker tracker(shared_detector(), sync_options());
  ASSERT_TRUE(tracker.track(img, 0.0).has_face());
  TrackResult r;
  for (int i = 0; i < 6; ++i) r = tracker.track(moved, 0.0);  // a caller without a clock
  ASSERT_TRUE(r.has_face());
  EXPECT_LT(mean_landmark_distance(r.face.landmarks, r.raw_landmarks), 3.0);
}

TEST(TrackingBench, RunsOnAShortClipAndReportsPerFrameTimes) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  LP_REQUIRE_DETECTOR();
  TrackingBenchOptions o;
  o.max_frames = 15;
  o.detector = shared_detector();
  const TrackingBenchResult r = run_tracking_bench(media("d0.mp4").string(), o);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.frames, 15);
  EXPECT_EQ(r.frame_ms.size(), 15u);
  EXPECT_EQ(r.frames_with_face, 15);
  EXPECT_EQ(r.width, 512);
  std::ostringstream os;
  print_tracking_bench(r, os);
  EXPECT_NE(os.str().find("ms/frame"), std::string::npos);
  o.max_frames = 5;
  const TrackingBenchResult bad = run_tracking_bench((test::scratch_dir() / "missing.mp4").string(), o);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("missing.mp4"), std::string::npos) << bad.error;
}

}  // namespace
}  // namespace lp
