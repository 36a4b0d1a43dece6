// Offline render / export, end to end through `livepuppet-cli render` on real
// media, judged with ffprobe as a user's player would see the file.
#include "ffprobe_probe.h"
#include "media/video_source.h"
#include "media/video_writer.h"
#include "test_support.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>

using namespace lp;
using lp::test::run_command;
using lp::test::shell_quote;

namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = -1;  // -1: killed by a signal (an abort, a crash)
  std::string err;
  std::string out;  // stdout
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Runs livepuppet-cli with `args` in the folder `cwd` (the test's own when
// empty), stderr and stdout captured. `quiet` adds --quiet (render only).
CliRun cli_in(const fs::path& cwd, const std::string& args, const fs::path& scratch, bool quiet = true) {
  const auto err = scratch / "stderr.txt";
  CliRun r;
  const std::string cd = cwd.empty() ? std::string() : "cd " + shell_quote(cwd.string()) + " && ";
  r.out = run_command(cd + std::string(LIVEPUPPET_CLI) + " " + args + (quiet ? " --quiet" : "") + " 2>" +
                          shell_quote(err.string()),
                      &r.status);
  r.err = slurp(err);
  return r;
}

// Runs livepuppet-cli with `args`, stderr captured.
CliRun cli(const std::string& args, const fs::path& scratch) { return cli_in({}, args, scratch); }

// A video of `frames` frames of one flat colour: nothing in it looks like a face.
void write_blank_video(const fs::path& path, int frames) {
  VideoWriterOptions wo;
  wo.width = 320;
  wo.height = 240;
  std::string e;
  auto w = VideoWriter::open(path.string(), wo, &e);
  ASSERT_TRUE(w) << e;
  const cv::Mat grey(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  for (int i = 0; i < frames; ++i) ASSERT_TRUE(w->write(grey)) << w->error();
  ASSERT_TRUE(w->finish()) << w->error();
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

// Ctrl+C stops the render cleanly: exit status 130, a message saying how many
// frames were rendered, and a playable file holding exactly those frames.
TEST(Render, InterruptLeavesPlayableFile) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto out = dir / "partial.mp4";
  const auto err = dir / "render.stderr";
  // Interrupt once the progress line shows at least 10 frames (polled, not a
  // fixed sleep, so neither a fast nor a slow machine changes what is tested).
  const std::string script =
      std::string(LIVEPUPPET_CLI) + " render --source " + shell_quote(lp::test::media("s1.jpg").string()) +
      " --driving " + shell_quote(lp::test::media("d3.mp4").string()) + " --out " + shell_quote(out.string()) +
      " 2>" + shell_quote(err.string()) + " & pid=$!; i=0; " +
      "while [ $i -lt 1200 ] && ! grep -q 'render: [1-9][0-9]*[0-9]/' " + shell_quote(err.string()) +
      " 2>/dev/null; do sleep 0.1; i=$((i+1)); done; kill -INT $pid; wait $pid; echo \"exit $?\"";
  const std::string said = run_command("sh -c " + shell_quote(script), nullptr);
  std::ifstream ef(err);
  const std::string stderr_text{std::istreambuf_iterator<char>(ef), {}};
  EXPECT_NE(said.find("exit 130"), std::string::npos) << said << stderr_text;
  const auto at = stderr_text.find("stopped by the user after ");
  ASSERT_NE(at, std::string::npos) << stderr_text;
  const long long rendered = std::atoll(stderr_text.c_str() + at + std::strlen("stopped by the user after "));
  EXPECT_GE(rendered, 10);
  EXPECT_LT(rendered, 354) << "the render finished before it was interrupted";
  lp::test::ProbeInfo p = lp::test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, rendered) << "the partial file lost frames";
}

// --save-motion never destroys a file the user had: the source, the driving
// video, the output (under any spelling of their names) and anything that is
// not a regular file are refused before rendering, with exit status 2.
TEST(Render, SaveMotionRefusesToOverwriteInputsOutputAndFolders) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto src = dir / "portrait.jpg", drv = dir / "driving.mp4", out = dir / "out.mp4", folder = dir / "folder";
  fs::copy_file(lp::test::media("s1.jpg"), src);
  fs::copy_file(lp::test::media("d0.mp4"), drv);
  fs::create_directory(folder);
  fs::create_hard_link(src, dir / "portrait-link.jpg");
  const std::string src_bytes = slurp(src), drv_bytes = slurp(drv);
  const std::string base = "render --source " + shell_quote(src.string()) + " --driving " + shell_quote(drv.string()) +
                           " --frames 3 --out " + shell_quote(out.string()) + " --save-motion ";
  for (const fs::path& bad : {src, dir / "." / "portrait.jpg", dir / "portrait-link.jpg", drv, out, folder}) {
    SCOPED_TRACE(bad.string());
    CliRun r = cli(base + shell_quote(bad.string()), dir);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(bad.string()), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << "refused, but rendered first";
  }
  EXPECT_TRUE(slurp(src) == src_bytes) << "the source was overwritten";
  EXPECT_TRUE(slurp(drv) == drv_bytes) << "the driving video was overwritten";
  EXPECT_TRUE(fs::is_directory(folder));
}

// A symlink given to --save-motion is written through: the link stays a link
// and its target gets the motion.
TEST(Render, SaveMotionWritesThroughASymlink) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto target = dir / "real.json", link = dir / "link.json";
  std::ofstream(target) << "old\n";
  fs::create_symlink(target, link);
  CliRun r = cli("render --source " + shell_quote(lp::test::media("s1.jpg").string()) + " --driving " +
                     shell_quote(lp::test::media("d0.mp4").string()) + " --frames 5 --out " +
                     shell_quote((dir / "out.mp4").string()) +
                     " --save-motion " + shell_quote(link.string()),
                 dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(link)) << "the link was replaced by a file";
  EXPECT_NE(slurp(target).find("\"frames\""), std::string::npos) << "the link's target did not get the motion";
}

// --out naming the source image or the driving video (a copy here) is refused
// before anything is written, naming both files; they are left as they were.
TEST(Render, OutSameFileAsAnInputIsRefused) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto src = dir / "portrait.jpg", drv = dir / "driving.mp4";
  fs::copy_file(lp::test::media("s1.jpg"), src);
  fs::copy_file(lp::test::media("d0.mp4"), drv);
  const std::string src_bytes = slurp(src), drv_bytes = slurp(drv);
  const std::string base =
      "render --source " + shell_quote(src.string()) + " --driving " + shell_quote(drv.string()) + " --frames 3 --out ";
  for (const fs::path& bad : {src, dir / "." / "driving.mp4"}) {
    SCOPED_TRACE(bad.string());
    CliRun r = cli(base + shell_quote(bad.string()), dir);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(bad.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(bad == src ? src.string() : drv.string()), std::string::npos) << r.err;
  }
  EXPECT_TRUE(slurp(src) == src_bytes) << "the source was overwritten";
  EXPECT_TRUE(slurp(drv) == drv_bytes) << "the driving video was overwritten";
}

// bench-classic loads the source as render does: a PNG declaring 100000x100000
// pixels is refused with a message, not an abort; an absurd --source-side too.
TEST(Render, BenchClassicRefusesHugeSourcesCleanly) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, 20, 30)), png));
  for (size_t at : {16u, 20u})  // IHDR width and height, big-endian
    for (int k = 0; k < 4; ++k) png[at + size_t(k)] = std::uint8_t(100000u >> (24 - 8 * k));
  const auto huge = dir / "huge.png";
  std::ofstream(huge, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  const std::string drv = " --driving " + shell_quote(lp::test::media("d0.mp4").string()) + " --frames 2";
  CliRun a = cli_in({}, "bench-classic --source " + shell_quote(huge.string()) + drv, dir, false);
  EXPECT_EQ(a.status, 1) << a.err;
  EXPECT_NE(a.err.find("huge.png"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("100000x100000"), std::string::npos) << "not the reason render gives: " << a.err;
  CliRun b = cli_in({}, "bench-classic --source " + shell_quote(lp::test::media("s1.jpg").string()) + drv +
                            " --source-side 100000",
                    dir, false);
  EXPECT_EQ(b.status, 2) << b.err;
  EXPECT_NE(b.err.find("--source-side needs"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("'100000'"), std::string::npos) << b.err;
}

// A driving video without a face in any frame still renders (the portrait
// without motion), but says so and exits with the warning status 3.
TEST(Render, DrivingVideoWithoutAnyFaceWarns) {
  const auto dir = lp::test::scratch_dir();
  LP_REQUIRE_SHARED("media/s1.jpg");
  const auto blank = dir / "blank.mp4", out = dir / "out.mp4";
  write_blank_video(blank, 8);
  CliRun r = cli("render --source " + shell_quote(lp::test::media("s1.jpg").string()) + " --driving " +
                     shell_quote(blank.string()) + " --out " + shell_quote(out.string()),
                 dir);
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("no face"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("blank.mp4"), std::string::npos) << r.err;
  lp::test::ProbeInfo p = lp::test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, 8);
}

// Motion saved from a video whose face is lost for a while replays: the
// frames without a face are kept as such (they drive nothing, as they did).
// From a video with no face at all, no motion file is written, with a warning.
TEST(Render, MotionWithFramesWithoutAFaceReplays) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  // d0's first 20 frames, 10 flat grey ones, then 20 more of d0.
  const auto mixed = dir / "mixed.mp4";
  {
    std::vector<cv::Mat> d0 = decode_all(lp::test::media("d0.mp4").string());
    ASSERT_GE(d0.size(), 40u);
    VideoWriterOptions wo;
    wo.width = d0[0].cols;
    wo.height = d0[0].rows;
    std::string e;
    auto w = VideoWriter::open(mixed.string(), wo, &e);
    ASSERT_TRUE(w) << e;
    const cv::Mat grey(d0[0].size(), CV_8UC3, cv::Scalar(128, 128, 128));
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(w->write(i < 20 ? d0[i] : i < 30 ? grey : d0[i - 10])) << w->error();
    ASSERT_TRUE(w->finish()) << w->error();
  }
  const std::string src = shell_quote(lp::test::media("s1.jpg").string());
  const auto direct = dir / "direct.mp4", replay = dir / "replay.mp4", motion = dir / "mixed.json";
  CliRun a = cli("render --source " + src + " --driving " + shell_quote(mixed.string()) + " --out " +
                     shell_quote(direct.string()) + " --save-motion " + shell_quote(motion.string()),
                 dir);
  ASSERT_EQ(a.status, 0) << a.err;
  CliRun b = cli("render --source " + src + " --driving " + shell_quote(motion.string()) + " --out " +
                     shell_quote(replay.string()),
                 dir);
  ASSERT_EQ(b.status, 0) << b.err;
  const auto fa = decode_all(direct.string()), fb = decode_all(replay.string());
  ASSERT_EQ(fa.size(), 50u);
  ASSERT_EQ(fb.size(), fa.size());
  double worst = 1e9;
  for (size_t i = 0; i < fa.size(); ++i) worst = std::min(worst, cv::PSNR(fa[i], fb[i]));
  EXPECT_GT(worst, 50.0) << "the replay differs from the render it was saved from";

  const auto blank = dir / "blank.mp4", none = dir / "none.json";
  write_blank_video(blank, 8);
  CliRun c = cli("render --source " + src + " --driving " + shell_quote(blank.string()) + " --out " +
                     shell_quote((dir / "blank_out.mp4").string()) + " --save-motion " + shell_quote(none.string()),
                 dir);
  EXPECT_EQ(c.status, 3) << c.err;
  EXPECT_NE(c.err.find("none.json' was not written"), std::string::npos) << c.err;
  EXPECT_FALSE(fs::exists(none));
}

// Paths are files, never FFmpeg URLs: "a:b.mp4" and "pipe:x.mp4" are written
// as files of those names, and a driving video named "clip:1.mp4" is read
// (with its audio), by render and by the benches.
TEST(Render, PathsWithAColonAreFilesNotUrls) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  fs::copy_file(lp::test::media("d3.mp4"), dir / "clip:1.mp4");
  const std::string src = " --source " + shell_quote(lp::test::media("s1.jpg").string());
  CliRun a = cli_in(dir, "render" + src + " --driving clip:1.mp4 --frames 3 --out a:b.mp4", dir);
  ASSERT_EQ(a.status, 0) << a.err;
  lp::test::ProbeInfo p = lp::test::ffprobe((dir / "a:b.mp4").string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, 3);
  EXPECT_TRUE(p.has_audio) << "the audio of clip:1.mp4 was not read";
  CliRun b = cli_in(dir, "render" + src + " --driving idle --idle-seconds 0.2 --out pipe:x.mp4", dir);
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.out.find("ftyp"), std::string::npos) << "the MP4 went to stdout";
  EXPECT_TRUE(lp::test::ffprobe((dir / "pipe:x.mp4").string()).ok);
  // The benches read through OpenCV's VideoCapture (its FFmpeg backend).
  CliRun c = cli_in(dir, "bench-tracking clip:1.mp4 --frames 3", dir, false);
  EXPECT_EQ(c.status, 0) << c.err;
}

// An image output that cannot be written (its folder is missing, it is a
// folder) is refused before rendering, without a false "frames were written".
TEST(Render, UnwritableImageOutputIsRefusedFirst) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  fs::create_directory(dir / "taken.png");
  const std::string base = "render --source " + shell_quote(lp::test::media("s1.jpg").string()) + " --driving " +
                           shell_quote(lp::test::media("d0.mp4").string()) + " --frames 3 --out ";
  for (const fs::path& bad : {dir / "missing" / "x.png", dir / "taken.png"}) {
    SCOPED_TRACE(bad.string());
    CliRun r = cli(base + shell_quote(bad.string()), dir);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(bad.string()), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("frames were written"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(fs::is_directory(dir / "taken.png"));
}

// A folder that is there but takes no new files (/proc; a read-only mount)
// is refused up front with what is wrong with it, even for root, to whom
// access() says yes everywhere; it does not "not exist".
TEST(Render, OutputInAFolderThatTakesNoFilesIsRefusedFirst) {
  if (!fs::is_directory("/proc")) GTEST_SKIP() << "no /proc on this system";
  const auto dir = lp::test::scratch_dir();
  CliRun r = cli("render --source /nonexistent/p.jpg --driving idle --out /proc/livepuppet-test.mp4", dir);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("/proc"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists("/proc/livepuppet-test.mp4"));
}

// Numbers in options are read whole and range-checked: "<option> needs ...,
// not '<value>'" and exit status 2, before anything is loaded.
// Files an option names are checked before the work starts, not after it: a
// settings "file" that is a folder, a bench baseline that is not there.
TEST(Render, OptionFilesAreCheckedFirst) {
  const auto dir = lp::test::scratch_dir();
  CliRun r = cli("render --source /nonexistent/p.jpg --driving idle --out " + shell_quote((dir / "x.mp4").string()) +
                     " --settings " + shell_quote(dir.string()),
                 dir);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("is a folder"), std::string::npos) << r.err;
  CliRun b = cli_in({}, "bench --models /nonexistent/models --suite --baseline " + shell_quote((dir / "none.json").string()),
                    dir, false);
  EXPECT_EQ(b.status, 2) << b.err;
  EXPECT_NE(b.err.find("none.json"), std::string::npos) << b.err;
}

TEST(Render, BadNumbersInOptionsAreRefused) {
  const auto dir = lp::test::scratch_dir();
  const std::string render = "render --source /nonexistent/p.jpg --driving idle --out " +
                             shell_quote((dir / "x.mp4").string());
  const std::string bench = "bench --models /nonexistent/models";
  const std::string classic = "bench-classic --source /nonexistent/p.jpg --driving /nonexistent/d.mp4";
  struct Case {
    std::string cmd, option, value;
  };
  const Case cases[] = {
      {render, "--crf", "abc"},          {render, "--crf", "-5"},           {render, "--crf", "52"},
      {render, "--crf", "18x"},          {render, "--frames", "-5"},        {render, "--frames", "abc"},
      {render, "--idle-seconds", "abc"}, {render, "--idle-seconds", "inf"}, {render, "--idle-seconds", "1e300"},
      {render, "--idle-seconds", "0"},   {bench, "--frames", "abc"},        {bench, "--warmup", "-1"},
      {bench, "--batch", "100000000"},   {bench, "--batch", "0"},           {classic, "--frames", "-3"},
      {classic, "--source-side", "x"},   {"bench-tracking /nonexistent/d.mp4", "--frames", "1.5"},
  };
  for (const Case& c : cases) {
    const std::string args = c.cmd + " " + c.option + " " + shell_quote(c.value);
    SCOPED_TRACE(args);
    CliRun r = cli_in({}, args, dir, c.cmd == render);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(c.option + " needs"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not '" + c.value + "'"), std::string::npos) << r.err;
  }
}

// The disk fills part-way (here: a file size limit): the frame counts printed
// agree with each other and with the frames in the file.
TEST(Render, WriteFailureReportsTheFramesInTheFile) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  const auto out = dir / "limited.mp4", err = dir / "render.stderr";
  int status = -1;
  // bash's `ulimit -f` counts 1024-byte blocks: 600 KiB holds a few one-second
  // fragments of this render, not all of them.
  run_command("bash -c " + shell_quote("ulimit -f 600; exec " + std::string(LIVEPUPPET_CLI) + " render --quiet --source " +
                                       shell_quote(lp::test::media("s1.jpg").string()) + " --driving " +
                                       shell_quote(lp::test::media("d3.mp4").string()) + " --out " +
                                       shell_quote(out.string())) +
                  " 2>" + shell_quote(err.string()),
              &status);
  const std::string text = slurp(err);
  EXPECT_EQ(status, 1) << text;
  const auto a = text.find("stopped after "), b = text.find(" frames were written");
  ASSERT_NE(a, std::string::npos) << text;
  ASSERT_NE(b, std::string::npos) << text;
  const long long stopped = std::atoll(text.c_str() + a + std::strlen("stopped after "));
  const auto b_start = text.rfind(' ', b - 1) + 1;
  const long long written = std::atoll(text.c_str() + b_start);
  EXPECT_EQ(stopped, written) << text;
  lp::test::ProbeInfo p = lp::test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_GT(p.video_frames, 0);
  EXPECT_LT(p.video_frames, 354);
  EXPECT_EQ(p.video_frames, written) << text;

  // A limit below the first fragment: the render fails before any frame is
  // in the file, says so, and leaves no empty file to block a retry.
  const auto none = dir / "none.mp4";
  run_command("bash -c " + shell_quote("ulimit -f 64; exec " + std::string(LIVEPUPPET_CLI) + " render --quiet --source " +
                                       shell_quote(lp::test::media("s1.jpg").string()) + " --driving " +
                                       shell_quote(lp::test::media("d3.mp4").string()) + " --out " +
                                       shell_quote(none.string())) +
                  " 2>" + shell_quote(err.string()),
              &status);
  const std::string none_text = slurp(err);
  EXPECT_EQ(status, 1) << none_text;
  EXPECT_NE(none_text.find("before the first frame"), std::string::npos) << none_text;
  EXPECT_FALSE(fs::exists(none)) << none_text;
}

// A variable-frame-rate driving video (phones, screen recorders: here d3 with
// one second of frames missing) keeps its timing: the output lasts as long as
// the input and its motion stays in step with the audio, none of which is lost.
TEST(Render, VariableFrameRateVideoKeepsItsTiming) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  const fs::path vfr = dir / "vfr.mp4", out = dir / "out.mp4";
  if (!lp::test::run_ffmpeg("-i " + shell_quote(lp::test::media("d3.mp4").string()) +
                            " -t 4 -vf \"select='not(between(n,30,59))'\" -fps_mode vfr -c:v libx264 -preset veryfast"
                            " -c:a copy " + shell_quote(vfr.string())))
    GTEST_SKIP() << "ffmpeg (CLI) is needed to prepare the test file";
  const double in_s = std::atof(lp::test::ffprobe_value(vfr.string(), "v:0", "stream=duration").c_str());
  ASSERT_NEAR(in_s, 4.0, 0.05);
  CliRun r = cli("render --source " + shell_quote(lp::test::media("s42.jpg").string()) + " --driving " +
                     shell_quote(vfr.string()) + " --out " + shell_quote(out.string()),
                 dir);
  ASSERT_EQ(r.status, 0) << r.err;
  lp::test::ProbeInfo p = lp::test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, 90);  // every frame rendered once, none invented
  const double out_s = std::atof(lp::test::ffprobe_value(out.string(), "v:0", "stream=duration").c_str());
  EXPECT_NEAR(out_s, in_s, 0.1);
  ASSERT_TRUE(p.has_audio);
  EXPECT_NEAR(p.audio_duration_s, in_s, 0.1);
  // Frame 30 of the output is shown at 2 s, as the input's frame after the gap.
  const std::string times = lp::test::run_command(
      "ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 " + shell_quote(out.string()));
  std::vector<double> t;
  for (size_t a = 0, b; a < times.size(); a = b + 1) {
    b = times.find('\n', a);
    if (b == std::string::npos) b = times.size();
    if (b > a) t.push_back(std::atof(times.substr(a, b - a).c_str()));
  }
  ASSERT_EQ(t.size(), 90u);
  EXPECT_NEAR(t[29], 29.0 / 30.0, 0.01);
  EXPECT_NEAR(t[30], 2.0, 0.01);
}

// Audio that starts after the picture keeps its offset, and the picture
// starts at 0 (x264's B-frame delay is hidden by an edit list), so the lips
// of the output move with the speech.
TEST(Render, AudioKeepsItsOffsetAndVideoStartsAtZero) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  const fs::path late = dir / "late.mp4", out = dir / "out.mp4";
  const std::string d3 = shell_quote(lp::test::media("d3.mp4").string());
  if (!lp::test::run_ffmpeg("-i " + d3 + " -itsoffset 0.5 -i " + d3 + " -t 3 -map 0:v -map 1:a -c copy " +
                            shell_quote(late.string())))
    GTEST_SKIP() << "ffmpeg (CLI) is needed to prepare the test file";
  const double audio_in = std::atof(lp::test::ffprobe_value(late.string(), "a:0", "stream=start_time").c_str());
  ASSERT_GT(audio_in, 0.4);
  CliRun r = cli("render --source " + shell_quote(lp::test::media("s42.jpg").string()) + " --driving " +
                     shell_quote(late.string()) + " --out " + shell_quote(out.string()),
                 dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NEAR(std::atof(lp::test::ffprobe_value(out.string(), "v:0", "stream=start_time").c_str()), 0.0, 1e-3);
  EXPECT_NEAR(std::atof(lp::test::ffprobe_value(out.string(), "a:0", "stream=start_time").c_str()), audio_in, 0.03);
}

// The container follows the output's extension (.mov, .mkv play as what they
// say); a name no supported format has is refused before any work, instead
// of an MP4 that a ".gif" or ".webm" viewer cannot open.
TEST(Render, OutputFormatFollowsTheExtension) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  const std::string base = "render --source " + shell_quote(lp::test::media("s42.jpg").string()) + " --driving " +
                           shell_quote(lp::test::media("d0.mp4").string()) + " --frames 6 --out ";
  const std::pair<const char*, const char*> good[] = {{"a.mov", "mov,mp4"}, {"a.mkv", "matroska"}, {"a.m4v", "mov,mp4"}};
  for (const auto& [name, format] : good) {
    SCOPED_TRACE(name);
    CliRun r = cli(base + shell_quote((dir / name).string()), dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(lp::test::ffprobe_value((dir / name).string(), "", "format=format_name").rfind(format, 0), 0u);
    lp::test::ProbeInfo p = lp::test::ffprobe((dir / name).string());
    EXPECT_EQ(p.video_frames, 6);
  }
  for (const char* name : {"a.gif", "a.webm", "no_extension"}) {
    SCOPED_TRACE(name);
    CliRun r = cli(base + shell_quote((dir / name).string()), dir);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(".mp4"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / name));
  }
  // An image output holds the last frame, and says so.
  CliRun r = cli(base + shell_quote((dir / "last.png").string()), dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("last one"), std::string::npos) << r.out;
  EXPECT_EQ(cv::imread((dir / "last.png").string()).size(), cv::Size(512, 512));
}
