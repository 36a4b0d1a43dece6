// Driving the classic engine with real videos and judging the output as a
// person would: the vision library measures the rendered frames, and the
// output's mouth and eyes must follow the driving face's.
#include "classic_test_support.h"
#include "vision/face_tracker.h"

#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cstdio>

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

}  // namespace
}  // namespace lp::test
