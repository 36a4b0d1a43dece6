// The GUI as a person sees it: started headless under Xvfb with real media,
// judged from its screenshots (and by the face tracker for the sliders).
#include "panels/panels.h"
#include "test_support.h"
#include "vision/face_detector.h"
#include "vision/openness.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <fstream>

namespace {

struct GuiRun {
  int status = -1;
  std::string log;
};

GuiRun run_gui(const std::string& args, const std::filesystem::path& dir) {
  const auto log = dir / "gui.log";
  const std::string cmd = std::string(LIVEPUPPET_GUI) + " --settings " + (dir / "settings.json").string() +
                          " --no-save-settings --size 1280x800 " + args + " > " + log.string() + " 2>&1";
  GuiRun r;
  const int s = std::system(cmd.c_str());
  r.status = WIFEXITED(s) ? WEXITSTATUS(s) : -1;
  std::ifstream in(log);
  r.log.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

// The Output panel's region in a screenshot (same layout code as the app).
cv::Rect output_region(const cv::Mat& shot) {
  lp::PanelLayout l = lp::compute_layout(static_cast<float>(shot.cols), static_cast<float>(shot.rows), false);
  cv::Rect r(static_cast<int>(l.output_pos.x) + 8, static_cast<int>(l.output_pos.y) + 30,
             static_cast<int>(l.output_size.x) - 16, static_cast<int>(l.output_size.y) - 40);
  return r & cv::Rect(0, 0, shot.cols, shot.rows);
}

bool have_display() { return std::getenv("DISPLAY") != nullptr; }

}  // namespace

TEST(Gui, ShowsTheVideoDrivenPortraitAndItMoves) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  const auto dir = lp::test::scratch_dir();
  GuiRun r = run_gui("--source " + lp::test::media("s1.jpg").string() + " --driving " +
                         lp::test::media("d0.mp4").string() + " --frames 60 --screenshot-at 10:" +
                         (dir / "a.png").string() + " --screenshot " + (dir / "b.png").string(),
                     dir);
  ASSERT_EQ(r.status, 0) << r.log;
  cv::Mat a = cv::imread((dir / "a.png").string()), b = cv::imread((dir / "b.png").string());
  ASSERT_FALSE(a.empty()) << r.log;
  ASSERT_FALSE(b.empty()) << r.log;
  ASSERT_EQ(a.size(), cv::Size(1280, 800));
  const cv::Rect out = output_region(b);
  // Not blank: the portrait fills the panel with real detail.
  cv::Scalar mean, sd;
  cv::meanStdDev(b(out), mean, sd);
  EXPECT_GT(sd[0] + sd[1] + sd[2], 60.0) << "output looks blank";
  // A face is visible in the output panel.
  lp::FaceDetector det;
  ASSERT_TRUE(det.ready()) << det.load_error();
  EXPECT_TRUE(det.detect(b(out).clone()).ok());
  // It moves: the two screenshots differ in the output.
  cv::Mat diff;
  cv::absdiff(a(out), b(out), diff);
  EXPECT_GT(cv::mean(diff)[0] + cv::mean(diff)[1] + cv::mean(diff)[2], 0.05);
  EXPECT_GT(cv::countNonZero(diff.reshape(1) > 10), 50);
}

TEST(Gui, EyeOpenSliderAtZeroClosesTheEyes) {
  LP_REQUIRE_SHARED("media/s1.jpg");
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  const auto dir = lp::test::scratch_dir();
  const std::string common = "--source " + lp::test::media("s1.jpg").string() +
                             " --driving none --set idle_motion=off --frames 8 --output-shot ";
  GuiRun open = run_gui(common + (dir / "open.png").string(), dir);
  ASSERT_EQ(open.status, 0) << open.log;
  GuiRun closed = run_gui(common + (dir / "closed.png").string() + " --set eye_open=0", dir);
  ASSERT_EQ(closed.status, 0) << closed.log;
  lp::FaceDetector det;
  auto d_open = det.detect(cv::imread((dir / "open.png").string()));
  auto d_closed = det.detect(cv::imread((dir / "closed.png").string()));
  ASSERT_TRUE(d_open.ok()) << d_open.message;
  ASSERT_TRUE(d_closed.ok()) << d_closed.message;
  const float eo = lp::compute_openness(d_open.largest().landmarks).eyes();
  const float ec = lp::compute_openness(d_closed.largest().landmarks).eyes();
  EXPECT_GT(eo, 0.2f);
  EXPECT_LT(ec, 0.15f);
}

TEST(Gui, BadSourceFileShowsMessageAndKeepsRunning) {
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  const auto dir = lp::test::scratch_dir();
  const auto txt = dir / "not_an_image.txt";
  std::ofstream(txt) << "hello";
  GuiRun r = run_gui("--source " + txt.string() + " --driving none --frames 5", dir);
  EXPECT_EQ(r.status, 0) << r.log;
  EXPECT_NE(r.log.find("not_an_image.txt"), std::string::npos) << r.log;
}
