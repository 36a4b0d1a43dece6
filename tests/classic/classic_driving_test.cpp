// Driving the classic engine with real videos and judging the output as a
// person would: the vision library measures the rendered frames, and the
// output's mouth and eyes must follow the driving face's.
#include "classic_test_support.h"
#include "vision/face_tracker.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

namespace lp::test {
namespace {

struct DrivingRun {
  std::vector<double> driving_lip, output_lip, driving_eye, output_eye;
  int frames_rendered = 0;
  int frames_measured = 0;
  int max_folded = 0;
};

// Tracks every frame of `video` (as the live session would, smoothing on),
// animates `source` with every `step`-th frame, renders it on the CPU and
// measures the result with a second tracker (raw landmarks, no smoothing).
DrivingRun drive(const std::string& source_name, const std::string& video, int step) {
  DrivingRun run;
  LoadedSource src = load_source(source_name);
  if (!src.prepared) return run;
  cv::VideoCapture cap(media(video).string());
  if (!cap.isOpened()) {
    ADD_FAILURE() << "cannot open " << media(video);
    return run;
  }
  const double fps = cap.get(cv::CAP_PROP_FPS) > 0 ? cap.get(cv::CAP_PROP_FPS) : 30.0;
  TrackerOptions drive_opts;
  drive_opts.background_redetect = false;  // deterministic
  FaceTracker driving_tracker(classic_detector(), drive_opts);
  TrackerOptions measure_opts = drive_opts;
  measure_opts.smoothing = false;
  FaceTracker output_tracker(classic_detector(), measure_opts);

  ClassicAnimator animator;
  const AnimationParams params;  // defaults: relative motion, eyes and lips on auto
  cv::Mat frame;
  for (int i = 0; cap.read(frame); ++i) {
    const double t = i / fps;
    const TrackResult d = driving_tracker.track(frame, t);
    if (i % step != 0 || !d.has_face()) continue;
    const WarpMesh mesh = animator.animate(*src.prepared, d.face.landmarks, params, t);
    run.max_folded = std::max(run.max_folded, count_folded_triangles(mesh.texcoords, mesh.positions, mesh.triangles));
    const cv::Mat out = render_cpu(src.bgr, mesh);
    ++run.frames_rendered;
    const TrackResult o = output_tracker.track(out, t);
    if (!o.has_face()) continue;
    ++run.frames_measured;
    const Openness din = compute_openness(d.raw_landmarks), oin = compute_openness(o.raw_landmarks);
    run.driving_lip.push_back(din.lip);
    run.output_lip.push_back(oin.lip);
    run.driving_eye.push_back(din.eyes());
    run.output_eye.push_back(oin.eyes());
  }
  return run;
}

void expect_follows(const std::string& source, const std::string& video, int step, bool check_eyes) {
  LP_REQUIRE_SHARED("media/" + source);
  LP_REQUIRE_SHARED("media/" + video);
  const DrivingRun run = drive(source, video, step);
  ASSERT_GT(run.frames_rendered, 50) << "too few driving frames with a face in " << video;
  // The output keeps being a face the tracker can follow.
  EXPECT_GE(run.frames_measured, run.frames_rendered * 95 / 100)
      << "the vision library lost the face in the output of " << source << " driven by " << video;
  EXPECT_EQ(run.max_folded, 0) << "the warp folded (mirrored, torn patches)";
  const double r_lip = pearson(run.driving_lip, run.output_lip);
  const double r_eye = pearson(run.driving_eye, run.output_eye);
  const double max_lip = *std::max_element(run.output_lip.begin(), run.output_lip.end());
  std::printf("%s driven by %s (every %d. frame): %d frames, lip r = %.3f, eye r = %.3f, output lip max %.3f\n",
              source.c_str(), video.c_str(), step, run.frames_measured, r_lip, r_eye, max_lip);
  EXPECT_GE(r_lip, 0.7) << "the output's mouth does not follow the driving mouth";
  if (check_eyes) {
    EXPECT_GE(r_eye, 0.7) << "the output's eyes do not follow the driving blinks";
  }
}

TEST(ClassicDriving, S1FollowsD3) { expect_follows("s1.jpg", "d3.mp4", 2, true); }
TEST(ClassicDriving, S42FollowsD3) { expect_follows("s42.jpg", "d3.mp4", 2, true); }
TEST(ClassicDriving, S1FollowsD10) { expect_follows("s1.jpg", "d10.mp4", 3, false); }
TEST(ClassicDriving, S42FollowsD10) { expect_follows("s42.jpg", "d10.mp4", 3, false); }


// Absolute mode (relative motion off) copies what landmarks measure
// absolutely: the driving face's eye and mouth openness and its head roll, even
// on the very first frame, where relative motion has nothing to transfer yet.
// The portrait keeps its own features' shape (no other person's mouth pasted
// on), so its output is still a face the tracker finds, unfolded.
TEST(ClassicDriving, AbsoluteModeCopiesOpennessAndRoll) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  // d3.mp4: frame 234 is a blink, frame 309 the widest mouth.
  cv::VideoCapture cap(media("d3.mp4").string());
  cv::Mat frame, blink, open_mouth;
  for (int i = 0; i <= 309 && cap.read(frame); ++i) {
    if (i == 234) blink = frame.clone();
    if (i == 309) open_mouth = frame.clone();
  }
  ASSERT_FALSE(blink.empty() || open_mouth.empty()) << "d3.mp4 is shorter than expected";
  const DetectionResult db = classic_detector()->detect(blink);
  ASSERT_TRUE(db.ok());
  // The wide mouth, with the head rolled by 8 degrees (the frame rotated).
  const DetectionResult dm0 = classic_detector()->detect(open_mouth);
  ASSERT_TRUE(dm0.ok());
  cv::Mat rolled;
  cv::warpAffine(open_mouth, rolled, cv::getRotationMatrix2D(dm0.largest().landmarks[30], -8.0, 1.0),
                 open_mouth.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const DetectionResult dm = classic_detector()->detect(rolled);
  ASSERT_TRUE(dm.ok());
  const Openness blink_o = compute_openness(db.largest().landmarks);
  const Openness mouth_o = compute_openness(dm.largest().landmarks);
  ASSERT_LT(blink_o.eyes(), 0.12f) << "d3.mp4 frame 234 should be a blink";
  ASSERT_GT(mouth_o.lip, 0.4f) << "d3.mp4 frame 309 should have the mouth wide open";
  const auto eye_line_deg = [](const Landmarks68& l) {
    const cv::Point2f d = l[45] - l[36];
    return std::atan2(d.y, d.x) * 180.0 / CV_PI;
  };
  const double driving_roll = eye_line_deg(dm.largest().landmarks);

  for (const char* name : {"s1.jpg", "s5.jpg", "s42.jpg"}) {
    SCOPED_TRACE(name);
    const LoadedSource src = load_source(name);
    ASSERT_TRUE(src.prepared);
    const float source_eyes = src.prepared->openness.eyes();
    const double source_roll = eye_line_deg(src.prepared->face.landmarks);
    // One animator per mode, each starting on the given frame.
    const auto first_frame = [&](const DetectionResult& d, bool relative) {
      ClassicAnimator animator;
      AnimationParams p;
      p.relative_motion = relative;
      const WarpMesh mesh = animator.animate(*src.prepared, d.largest().landmarks, p, 0.0);
      EXPECT_EQ(count_folded_triangles(mesh.texcoords, mesh.positions, mesh.triangles), 0);
      const DetectionResult out = classic_detector()->detect(render_cpu(src.bgr, mesh));
      EXPECT_TRUE(out.ok()) << "no face in the output";
      return out;
    };
    const DetectionResult closed = first_frame(db, false), kept = first_frame(db, true);
    const DetectionResult wide = first_frame(dm, false), still = first_frame(dm, true);
    ASSERT_TRUE(closed.ok() && kept.ok() && wide.ok() && still.ok());
    const float closed_eyes = compute_openness(closed.largest().landmarks).eyes();
    const float kept_eyes = compute_openness(kept.largest().landmarks).eyes();
    const float wide_lip = compute_openness(wide.largest().landmarks).lip;
    const float still_lip = compute_openness(still.largest().landmarks).lip;
    const double wide_roll = eye_line_deg(wide.largest().landmarks);
    std::printf("%s absolute / relative on the first frame: eyes %.3f / %.3f (source %.3f, driving %.3f), "
                "lip %.3f / %.3f (driving %.3f), roll %.1f (source %.1f, driving %.1f) deg\n",
                name, closed_eyes, kept_eyes, source_eyes, blink_o.eyes(), wide_lip, still_lip, mouth_o.lip,
                wide_roll, source_roll, driving_roll);
    EXPECT_LT(closed_eyes, 0.6f * source_eyes) << "absolute mode did not close the eyes with the driving blink";
    EXPECT_GT(kept_eyes, 0.8f * source_eyes) << "relative mode moved the eyes on the first frame";
    EXPECT_GT(wide_lip, 0.3f) << "absolute mode did not open the mouth";
    EXPECT_LT(still_lip, 0.1f) << "relative mode opened the mouth on the first frame";
    EXPECT_NEAR(wide_roll, driving_roll, 1.5) << "absolute mode did not take the driving roll";
  }
}


// How thin the warp squeezes a triangle: the smaller over the larger singular
// value of its texture-to-screen map (1 = only moved, rotated or scaled;
// near 0 = squashed to a line, where the texture tears).
double squeeze(const WarpMesh& m, const cv::Vec3i& t) {
  const cv::Point2f e1 = m.texcoords[t[1]] - m.texcoords[t[0]], e2 = m.texcoords[t[2]] - m.texcoords[t[0]];
  const cv::Point2f f1 = m.positions[t[1]] - m.positions[t[0]], f2 = m.positions[t[2]] - m.positions[t[0]];
  const cv::Matx22d E(e1.x, e2.x, e1.y, e2.y), F(f1.x, f2.x, f1.y, f2.y);
  if (std::abs(cv::determinant(E)) < 1e-6) return 1.0;
  cv::Mat w;
  cv::SVD::compute(cv::Mat(F * E.inv()), w);
  return w.at<double>(1) / std::max(1e-12, w.at<double>(0));
}

// d3.mp4 turns the head up to 18 degrees. dlib's upper jaw contour (by the
// ears) slides along the turning silhouette, and the brow ends move the other
// way: copied as expression, that squeezed the temple between brow end and
// ear to a line (0.003-0.007 here) and tore the hair above the ear. The triangles
// at the side of the face stay triangles on every frame, on four portraits.
TEST(ClassicDriving, TurningHeadKeepsTheTemplesWhole) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  cv::VideoCapture cap(media("d3.mp4").string());
  ASSERT_TRUE(cap.isOpened());
  TrackerOptions opts;
  opts.background_redetect = false;
  FaceTracker tracker(classic_detector(), opts);
  std::vector<std::optional<Landmarks68>> driving;
  cv::Mat frame;
  for (int i = 0; cap.read(frame); ++i) {
    const TrackResult d = tracker.track(frame, i / 30.0);
    driving.push_back(d.has_face() ? std::optional<Landmarks68>(d.face.landmarks) : std::nullopt);
  }
  ASSERT_GT(driving.size(), 300u);
  const auto at_temple = [](const cv::Vec3i& t) {
    for (int k = 0; k < 3; ++k)
      for (int v : {0, 1, 2, 14, 15, 16, 17, 26})
        if (t[k] == v) return true;
    return false;
  };
  for (const char* name : {"s1.jpg", "s2.jpg", "s5.jpg", "s42.jpg"}) {
    SCOPED_TRACE(name);
    const LoadedSource src = load_source(name);
    ASSERT_TRUE(src.prepared);
    ClassicAnimator animator;
    const AnimationParams params;
    double thinnest = 1.0;
    int thinnest_frame = -1;
    for (size_t i = 0; i < driving.size(); ++i) {
      if (!driving[i]) continue;
      const WarpMesh m = animator.animate(*src.prepared, driving[i], params, i / 30.0);
      for (const cv::Vec3i& t : m.triangles) {
        if (!at_temple(t)) continue;
        const double q = squeeze(m, t);
        if (q < thinnest) {
          thinnest = q;
          thinnest_frame = static_cast<int>(i);
        }
      }
    }
    std::printf("%s driven by d3: thinnest triangle at the temples %.3f (frame %d)\n", name, thinnest, thinnest_frame);
    EXPECT_GT(thinnest, 0.08) << "a triangle by the temple was squashed to a line at frame " << thinnest_frame;
  }
}

}  // namespace
}  // namespace lp::test
