// The GUI as a person sees it: started headless under Xvfb with real media,
// judged from its screenshots (and by the face tracker for the sliders).
#include "panels/panels.h"
#include "session/engine_factory.h"
#include "session/settings.h"
#include "test_support.h"
#include "vision/face_detector.h"
#include "vision/openness.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
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
                         lp::test::media("d0.mp4").string() +
                         // Idle motion off: whatever moves is driven by d0.mp4.
                         " --set idle_motion=off --frames 60 --screenshot-at 10:" +
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
  const lp::DetectionResult fa = det.detect(a(out).clone()), fb = det.detect(b(out).clone());
  ASSERT_TRUE(fa.ok() && fb.ok()) << "no face in the output panel";
  // It moves with the driving face: the two screenshots differ in the output,
  // and so do the face's landmarks there (d0.mp4 talks and nods).
  cv::Mat diff;
  cv::absdiff(a(out), b(out), diff);
  EXPECT_GT(cv::mean(diff)[0] + cv::mean(diff)[1] + cv::mean(diff)[2], 0.05);
  EXPECT_GT(cv::countNonZero(diff.reshape(1) > 10), 50);
  double moved = 0;
  for (int i = 0; i < lp::kNumLandmarks; ++i)
    moved += cv::norm(fa.largest().landmarks[i] - fb.largest().landmarks[i]) / lp::kNumLandmarks;
  std::printf("output landmarks moved by %.2f px on average between frames 10 and 60\n", moved);
  EXPECT_GT(moved, 0.5) << "the output face did not move";
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
  std::printf("GUI eye-open 0 on s1: eye ratio %.3f -> %.3f\n", eo, ec);
  EXPECT_GT(eo, 0.2f);
  // The GL render of s1 measures 0.117 here (the CPU render 0.096: dlib is
  // sensitive to the rasteriser's edge sampling on a 2-px lid line); open is 0.27.
  EXPECT_LT(ec, 0.13f);
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

// With a valid model folder but no CUDA GPU, the app does not choose the
// neural engine by itself (seconds per frame on the CPU): it runs the classic
// engine and says why and how to switch.
TEST(Gui, ModelsWithoutAGpuStartTheClassicEngineAndSayWhy) {
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  if (lp::neural_device_is_gpu("auto")) GTEST_SKIP() << "a CUDA GPU is present: the neural engine is the right default";
  const std::filesystem::path models = std::filesystem::path(LIVEPUPPET_BINARY_DIR) / "models-seed1";
  if (!std::filesystem::is_regular_file(models / "manifest.json"))
    GTEST_SKIP() << models << " is missing (ctest's lp_models_seed1 fixture exports it)";
  const auto dir = lp::test::scratch_dir();
  GuiRun r = run_gui("--models " + models.string() + " --driving none --bench 1", dir);
  EXPECT_EQ(r.status, 0) << r.log;
  EXPECT_NE(r.log.find("no CUDA GPU"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("Press Tab"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("\"engine\": \"Classic"), std::string::npos) << r.log;
}

// A portrait path that does not exist (a typo) is named, and the default
// portrait is shown instead of failing silently.
TEST(Gui, MissingSourceFileIsNamed) {
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  const auto dir = lp::test::scratch_dir();
  GuiRun r = run_gui("--source " + (dir / "typo.jpg").string() + " --driving none --frames 3", dir);
  EXPECT_EQ(r.status, 0) << r.log;
  EXPECT_NE(r.log.find("typo.jpg': no such file"), std::string::npos) << r.log;
}

// The headless options are checked up front, and a screenshot that cannot be
// written fails the run (exit 1) with the reason.
TEST(Gui, HeadlessOptionsAreCheckedAndFailuresExitNonZero) {
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  const auto dir = lp::test::scratch_dir();
  GuiRun no_frames = run_gui("--driving none --screenshot " + (dir / "a.png").string(), dir);
  EXPECT_EQ(no_frames.status, 2) << no_frames.log;
  EXPECT_NE(no_frames.log.find("need --frames"), std::string::npos) << no_frames.log;
  GuiRun late = run_gui("--driving none --frames 3 --screenshot-at 5:" + (dir / "b.png").string(), dir);
  EXPECT_EQ(late.status, 2) << late.log;
  GuiRun bad_number = run_gui("--driving none --frames 2x", dir);
  EXPECT_EQ(bad_number.status, 2) << bad_number.log;
  GuiRun tiny = run_gui("--driving none --frames 2 --size 320x240", dir);
  EXPECT_EQ(tiny.status, 2) << tiny.log;
  const auto nowhere = dir / "missing-folder" / "shot.png";
  GuiRun unwritable = run_gui("--driving none --frames 2 --screenshot " + nowhere.string(), dir);
  EXPECT_EQ(unwritable.status, 1) << unwritable.log;
  EXPECT_NE(unwritable.log.find("missing-folder does not exist"), std::string::npos) << unwritable.log;
}

// Ctrl+C in the terminal that ran `make run` closes the app like its window:
// exit status 0 and the settings saved (here: a slider set on the command line).
TEST(Gui, CtrlCSavesSettings) {
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  const auto dir = lp::test::scratch_dir();
  const auto settings = dir / "settings.json", log = dir / "gui.log";
  // Interrupt once the portrait is loaded (polled from the log, not slept).
  const std::string script =
      std::string(LIVEPUPPET_GUI) + " --settings " + settings.string() + " --size 1280x800 --driving none" +
      " --set smile=0.5 > " + log.string() + " 2>&1 & pid=$!; i=0; " +
      "while [ $i -lt 600 ] && ! grep -q '1 face' " + log.string() + "; do sleep 0.1; i=$((i+1)); done; " +
      "sleep 0.5; kill -INT $pid; wait $pid; echo \"exit $?\"";
  std::ofstream(dir / "run.sh") << script << "\n";
  std::string said;
  if (FILE* p = ::popen(("sh " + (dir / "run.sh").string()).c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) said += buf;
    ::pclose(p);
  }
  std::ifstream in(log);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_NE(said.find("exit 0"), std::string::npos) << said << text;
  const lp::SettingsLoadResult saved = lp::load_settings(settings);
  ASSERT_TRUE(std::filesystem::exists(settings)) << "settings were not saved on Ctrl+C\n" << text;
  EXPECT_TRUE(saved.warning.empty()) << saved.warning;
  EXPECT_FLOAT_EQ(saved.settings.parameters.animation.edit.smile, 0.5f);
}

// A saved webcam that is unplugged at start (or a video on a drive that is not
// mounted) fails to open; it stays the saved choice for the next start instead
// of being overwritten with "none".
TEST(Gui, ASavedDrivingInputThatFailsAtStartStaysSaved) {
  if (!have_display()) GTEST_SKIP() << "no X display (run under xvfb-run)";
  LP_REQUIRE_SHARED("media/s1.jpg");
  const auto dir = lp::test::scratch_dir();
  const auto settings_file = dir / "settings.json";
  lp::Settings s;
  s.last_driving = "camera:37";  // no such webcam
  ASSERT_EQ(lp::save_settings(s, settings_file), "");
  const std::string cmd = std::string(LIVEPUPPET_GUI) + " --settings " + settings_file.string() +
                          " --size 1280x800 --frames 3 --source " + lp::test::media("s1.jpg").string() + " > " +
                          (dir / "gui.log").string() + " 2>&1";
  const int st = std::system(cmd.c_str());
  std::ifstream in(dir / "gui.log");
  const std::string log{std::istreambuf_iterator<char>(in), {}};
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << log;
  const lp::SettingsLoadResult saved = lp::load_settings(settings_file);
  EXPECT_EQ(saved.settings.last_driving, "camera:37") << log;
}
