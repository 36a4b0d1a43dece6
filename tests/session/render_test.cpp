// Offline render / export, end to end through `livepuppet-cli render` on real
// media, judged with ffprobe as a user's player would see the file.
#include "ffprobe_probe.h"
#include "media/video_source.h"
#include "test_support.h"

#include <opencv2/core.hpp>

#include <fstream>

using namespace lp;
using lp::test::run_command;
using lp::test::shell_quote;

namespace {

struct CliRun {
  int status = -1;
  std::string err;
};

// Runs livepuppet-cli with `args`, stderr captured.
CliRun cli(const std::string& args, const std::filesystem::path& scratch) {
  const auto err = scratch / "stderr.txt";
  CliRun r;
  run_command(std::string(LIVEPUPPET_CLI) + " " + args + " --quiet 2>" + shell_quote(err.string()), &r.status);
  std::ifstream in(err);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

std::vector<cv::Mat> decode_all(const std::string& path) {
  std::vector<cv::Mat> frames;
  std::string e;
  auto v = VideoSource::open(path, &e);
  if (!v) return frames;
  VideoFrame f;
  while (v->read(f) == ReadStatus::Frame) frames.push_back(f.image.clone());
  return frames;
}

}  // namespace

// Issue 7: s1.jpg driven by d3.mp4 (354 frames, AAC): every frame, same rate, audio kept.
TEST(Render, EveryFrameSameRateAndAudioKept) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto out = dir / "s1_d3.mp4";
  CliRun r = cli("render --source " + shell_quote(lp::test::media("s1.jpg").string()) + " --driving " +
                     shell_quote(lp::test::media("d3.mp4").string()) + " --out " + shell_quote(out.string()),
                 dir);
  ASSERT_EQ(r.status, 0) << r.err;
  lp::test::ProbeInfo in = lp::test::ffprobe(lp::test::media("d3.mp4").string());
  lp::test::ProbeInfo p = lp::test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, 354);
  EXPECT_NEAR(p.fps, in.fps, 0.01);
  ASSERT_TRUE(p.has_audio);
  EXPECT_NEAR(p.audio_duration_s, p.video_duration_s(), 0.1);
  EXPECT_EQ(p.width, 1144);  // 1145 rounded down to even for yuv420p
}

TEST(Render, SourceWithoutFaceFailsWithClearError) {
  LP_REQUIRE_SHARED("media/s39.jpg");
  const auto dir = lp::test::scratch_dir();
  CliRun r = cli("render --source " + shell_quote(lp::test::media("s39.jpg").string()) + " --driving idle --out " +
                     shell_quote((dir / "cat.mp4").string()),
                 dir);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("s39.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("face"), std::string::npos) << r.err;
}

TEST(Render, MissingSourceNamesTheFile) {
  const auto dir = lp::test::scratch_dir();
  CliRun r = cli("render --source /nonexistent/portrait.jpg --driving idle --out " + shell_quote((dir / "x.mp4").string()),
                 dir);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("portrait.jpg"), std::string::npos) << r.err;
}

// A motion template saved from d10.mp4 and replayed onto s42.jpg gives the
// same frames as rendering from the video directly.
TEST(Render, MotionFileReplaysTheSamePerformance) {
  LP_REQUIRE_SHARED("media/d10.mp4");
  const auto dir = lp::test::scratch_dir();
  const std::string src = shell_quote(lp::test::media("s42.jpg").string());
  const auto direct = dir / "direct.mp4", replay = dir / "replay.mp4", motion = dir / "d10_motion.json";
  CliRun a = cli("render --source " + src + " --driving " + shell_quote(lp::test::media("d10.mp4").string()) +
                     " --frames 120 --out " + shell_quote(direct.string()) + " --save-motion " +
                     shell_quote(motion.string()),
                 dir);
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_TRUE(std::filesystem::exists(motion));
  CliRun b = cli("render --source " + src + " --driving " + shell_quote(motion.string()) + " --out " +
                     shell_quote(replay.string()),
                 dir);
  ASSERT_EQ(b.status, 0) << b.err;
  auto fa = decode_all(direct.string()), fb = decode_all(replay.string());
  ASSERT_EQ(fa.size(), 120u);
  ASSERT_EQ(fb.size(), fa.size());
  double worst = 1e9;
  for (size_t i = 0; i < fa.size(); ++i) {
    const double psnr = cv::PSNR(fa[i], fb[i]);
    worst = std::min(worst, psnr);
  }
  EXPECT_GT(worst, 50.0);
}

// A driving video cut in the middle: the render stops at the last good frame,
// says which file and frame, and the output plays.
TEST(Render, TruncatedDrivingVideoStopsAtLastGoodFrame) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto fast = dir / "d0_faststart.mp4", cut = dir / "d0_cut.mp4";
  if (!lp::test::make_faststart_copy(lp::test::media("d0.mp4").string(), fast.string()))
    GTEST_SKIP() << "ffmpeg CLI not available to prepare the truncated file";
  {
    std::ifstream in(fast, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  const auto out = dir / "out.mp4";
  CliRun r = cli("render --source " + shell_quote(lp::test::media("s42.jpg").string()) + " --driving " +
                     shell_quote(cut.string()) + " --out " + shell_quote(out.string()),
                 dir);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("d0_cut.mp4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("frame"), std::string::npos) << r.err;
  lp::test::ProbeInfo p = lp::test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_GT(p.video_frames, 5);
  EXPECT_LT(p.video_frames, 78);
}

// Ctrl+C stops the render cleanly and leaves a playable partial file.
TEST(Render, InterruptLeavesPlayableFile) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto out = dir / "partial.mp4";
  int status = -1;
  run_command("(" + std::string(LIVEPUPPET_CLI) + " render --quiet --source " +
                  shell_quote(lp::test::media("s1.jpg").string()) + " --driving " +
                  shell_quote(lp::test::media("d3.mp4").string()) + " --out " + shell_quote(out.string()) +
                  " & pid=$!; sleep 6; kill -INT $pid; wait $pid) 2>/dev/null",
              &status);
  lp::test::ProbeInfo p = lp::test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_GT(p.video_frames, 0);
  EXPECT_LT(p.video_frames, 354);
}
