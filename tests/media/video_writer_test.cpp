// The fragmented-MP4 writer as a user's player sees it (ffprobe): every frame,
// the frame rate, the driving video's audio with matching duration; a killed
// process leaves a playable file; a size limit gives a clear error and a
// playable partial file; names never overwrite.
#include "ffprobe_probe.h"
#include "media/output_path.h"
#include "media/video_source.h"
#include "media/video_writer.h"
#include "test_support.h"

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace lp;
using namespace std::chrono_literals;

namespace {
// Options for a quick test file: w x h, 25 fps, the fastest x264 preset.
VideoWriterOptions fast_options(int w, int h) {
  VideoWriterOptions o;
  o.width = w;
  o.height = h;
  o.fps_num = 25;
  o.preset = "ultrafast";
  return o;
}

cv::Mat pattern(int w, int h, int n) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(x + n * 3), uchar(y + n), uchar(x ^ y));
  return m;
}

// Runs `argv` with stdout on a pipe; collects lines for `seconds`, then SIGKILLs it.
struct Killed {
  std::vector<std::string> lines;
  int wait_status = 0;
};
Killed run_and_kill(const std::vector<std::string>& argv, double seconds) {
  Killed k;
  int fds[2];
  if (::pipe(fds) != 0) return k;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string buf;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char tmp[4096];
      const ssize_t n = ::read(fds[0], tmp, sizeof tmp);
      if (n <= 0) break;
      buf.append(tmp, size_t(n));
    }
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &k.wait_status, 0);
  ::close(fds[0]);
  std::size_t start = 0, nl;
  while ((nl = buf.find('\n', start)) != std::string::npos) {  // complete lines only
    k.lines.push_back(buf.substr(start, nl - start));
    start = nl + 1;
  }
  return k;
}

long long last_written(const std::vector<std::string>& lines) {
  long long n = -1;
  for (const auto& l : lines) {
    long long w = 0, s = 0;
    if (std::sscanf(l.c_str(), "written %lld submitted %lld", &w, &s) >= 1) n = w;
  }
  return n;
}
}  // namespace

TEST(VideoWriter, D3FramesWithAudioMatchInFramesRateAndDuration) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  // The core acceptance check of issue 7: 354 frames at 30 fps + d3's AAC.
  std::string err;
  auto src = VideoSource::open(test::media("d3.mp4").string(), &err);
  ASSERT_TRUE(src) << err;
  const fs::path out = test::scratch_dir() / "d3_out.mp4";
  VideoWriterOptions o;
  o.width = src->info().width;
  o.height = src->info().height;
  o.fps_num = src->info().fps_num;
  o.fps_den = src->info().fps_den;
  o.preset = "ultrafast";
  o.crf = 28;
  o.audio_source = test::media("d3.mp4").string();
  auto w = VideoWriter::open(out.string(), o, &err);
  ASSERT_TRUE(w) << err;
  EXPECT_EQ(w->audio_note(), "copied aac");
  VideoFrame f;
  int n = 0;
  while (src->read(f) == ReadStatus::Frame) {
    ASSERT_TRUE(w->write(f.image)) << w->error();
    ++n;
  }
  ASSERT_EQ(n, 354);
  ASSERT_TRUE(w->finish()) << w->error();
  EXPECT_EQ(w->frames_written(), 354);
  EXPECT_EQ(std::int64_t(fs::file_size(out)), w->bytes_written());

  const auto p = test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, 354);
  EXPECT_DOUBLE_EQ(p.fps, 30.0);
  EXPECT_EQ(p.video_codec, "h264");
  EXPECT_EQ(p.width, 512);
  ASSERT_TRUE(p.has_audio);
  EXPECT_EQ(p.audio_codec, "aac");
  EXPECT_NEAR(p.audio_duration_s, p.video_duration_s(), 0.1)
      << "audio " << p.audio_duration_s << " s vs video " << p.video_duration_s() << " s";
}

TEST(VideoWriter, AudioThatMp4CannotCarryIsReencodedToAac) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const fs::path dir = test::scratch_dir();
  const fs::path pcm = dir / "d3_pcm.mkv";
  int status = 0;
  test::run_command("ffmpeg -v error -y -i " + test::shell_quote(test::media("d3.mp4").string()) +
                        " -t 3 -c:v copy -c:a pcm_s16le " + test::shell_quote(pcm.string()) + " 2>&1",
                    &status);
  if (status != 0) GTEST_SKIP() << "ffmpeg (CLI) is needed to prepare the test file";
  const fs::path out = dir / "pcm_out.mp4";
  VideoWriterOptions o;
  o.width = 128;
  o.height = 96;
  o.fps_num = 30;
  o.preset = "ultrafast";
  o.audio_source = pcm.string();
  std::string err;
  auto w = VideoWriter::open(out.string(), o, &err);
  ASSERT_TRUE(w) << err;
  EXPECT_EQ(w->audio_note(), "re-encoded pcm_s16le to aac");
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(w->write(pattern(128, 96, i))) << w->error();  // 2 s of video
  ASSERT_TRUE(w->finish()) << w->error();
  const auto p = test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, 60);
  ASSERT_TRUE(p.has_audio);
  EXPECT_EQ(p.audio_codec, "aac");
  EXPECT_NEAR(p.audio_duration_s, 2.0, 0.1);  // cut at the video's end, not the source's 3 s
}

TEST(VideoWriter, SourceWithoutAudioGivesVideoOnly) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const fs::path out = test::scratch_dir() / "silent.mp4";
  VideoWriterOptions o;
  o.width = 64;
  o.height = 64;
  o.fps_num = 25;
  o.preset = "ultrafast";
  o.audio_source = test::media("d0.mp4").string();
  std::string err;
  auto w = VideoWriter::open(out.string(), o, &err);
  ASSERT_TRUE(w) << err;
  EXPECT_NE(w->audio_note().find("has no audio"), std::string::npos) << w->audio_note();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->write(pattern(64, 64, i)));
  ASSERT_TRUE(w->finish());
  const auto p = test::ffprobe(out.string());
  EXPECT_EQ(p.video_frames, 10);
  EXPECT_DOUBLE_EQ(p.fps, 25.0);
  EXPECT_FALSE(p.has_audio);
}

TEST(VideoWriter, UnwritableLocationOrFullDiskIsAClearError) {
  const fs::path dir = test::scratch_dir();
  VideoWriterOptions o;
  o.width = 64;
  o.height = 64;
  std::string err;
  const fs::path missing = dir / "no-such-folder" / "out.mp4";
  EXPECT_FALSE(VideoWriter::open(missing.string(), o, &err));
  EXPECT_NE(err.find(missing.string()), std::string::npos) << err;
  EXPECT_NE(err.find("folder does not exist"), std::string::npos) << err;
  if (fs::exists("/dev/full")) {  // every write fails with ENOSPC, as on a full disk
    const fs::path full = dir / "full.mp4";
    fs::create_symlink("/dev/full", full);
    // The MP4 header waits for the first fragment (it carries the edit
    // lists), so the full disk shows at open or at the first frame at the latest.
    auto w = VideoWriter::open(full.string(), o, &err);
    if (w) {
      w->write(pattern(64, 64, 0));
      EXPECT_FALSE(w->finish());
      err = w->error();
    }
    EXPECT_NE(err.find(full.string()), std::string::npos) << err;
    EXPECT_NE(err.find("disk full"), std::string::npos) << err;
  }
  const fs::path ro = "/proc/livepuppet-test.mp4";  // writable by nobody, root included
  EXPECT_FALSE(VideoWriter::open(ro.string(), o, &err));
  EXPECT_NE(err.find(ro.string()), std::string::npos) << err;
  EXPECT_EQ(err.find("does not exist"), std::string::npos) << "/proc is there: " << err;
}

// A frame too big for players (a 6000x6000 portrait) is scaled down to H.264
// level 5.1's 36,864 macroblocks, keeping its aspect; sizes that fit stay.
TEST(VideoWriter, FramesTooBigForPlayersAreScaledDownAndSaidSo) {
  EXPECT_EQ(h264_playable_size(1920, 1080), cv::Size(1920, 1080));
  EXPECT_EQ(h264_playable_size(4096, 2304), cv::Size(4096, 2304));
  EXPECT_EQ(h264_playable_size(513, 301), cv::Size(512, 300)) << "yuv420p: even sizes";
  for (cv::Size big : {cv::Size(6000, 6000), cv::Size(6000, 4000), cv::Size(12000, 600), cv::Size(3001, 9000)}) {
    SCOPED_TRACE(std::to_string(big.width) + "x" + std::to_string(big.height));
    const cv::Size s = h264_playable_size(big.width, big.height);
    EXPECT_LE(static_cast<long>((s.width + 15) / 16) * ((s.height + 15) / 16), 36864);
    EXPECT_LE(std::max(s.width, s.height), 8192);
    const double side_scale = std::min(1.0, 8192.0 / std::max(big.width, big.height));
    const double cap = std::min(9437184.0, static_cast<double>(big.area()) * side_scale * side_scale);
    EXPECT_GT(static_cast<double>(s.area()), 0.97 * cap) << "scaled down no more than needed";
    EXPECT_NEAR(static_cast<double>(s.width) / s.height, static_cast<double>(big.width) / big.height,
                0.01 * big.width / big.height)
        << "aspect kept";
  }

  const fs::path out = test::scratch_dir() / "big.mp4";
  VideoWriterOptions o = fast_options(6000, 4000);
  std::string err;
  auto w = VideoWriter::open(out.string(), o, &err);
  ASSERT_TRUE(w) << err;
  EXPECT_NE(w->size_note().find("6000x4000"), std::string::npos) << w->size_note();
  ASSERT_TRUE(w->write(pattern(6000, 4000, 0))) << w->error();
  ASSERT_TRUE(w->finish()) << w->error();
  const cv::Size s = h264_playable_size(6000, 4000);
  EXPECT_EQ(test::ffprobe_value(out.string(), "v:0", "stream=width"), std::to_string(s.width));
  EXPECT_EQ(test::ffprobe_value(out.string(), "v:0", "stream=height"), std::to_string(s.height));

  o.width = 64;
  o.height = 48;
  auto small = VideoWriter::open((test::scratch_dir() / "small.mp4").string(), o, &err);
  ASSERT_TRUE(small) << err;
  EXPECT_TRUE(small->size_note().empty()) << small->size_note();
}

// Crash safety from the first fragment on: the frames counted as written are
// in the file at that moment (MP4 with its delayed moov included), so a crash
// right then loses none of them.
TEST(VideoWriter, FramesCountedAsWrittenAreInTheFileFromTheFirstFragment) {
  for (const char* name : {"first.mp4", "first.mkv"}) {
    SCOPED_TRACE(name);
    const fs::path out = test::scratch_dir() / name;
    VideoWriterOptions o = fast_options(160, 120);
    o.fragment_seconds = 1.0;
    std::string err;
    auto w = VideoWriter::open(out.string(), o, &err);
    ASSERT_TRUE(w) << err;
    int n = 0;
    while (w->frames_written() == 0 && n < 200) ASSERT_TRUE(w->write(pattern(160, 120, n++))) << w->error();
    ASSERT_GT(w->frames_written(), 0) << "no fragment was cut in 8 s of video";
    const auto p = test::ffprobe(out.string());  // the writer is still open: as after a crash
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.video_frames, w->frames_written());
    ASSERT_TRUE(w->finish()) << w->error();
  }
}

// A frame of another shape than the file's (the GUI recording when the user
// loads a wide portrait mid-recording) keeps its aspect: black bars, not a
// squashed face.
TEST(VideoWriter, AFrameOfAnotherShapeKeepsItsAspect) {
  const fs::path out = test::scratch_dir() / "shape.mp4";
  const VideoWriterOptions o = fast_options(128, 128);
  std::string err;
  auto w = VideoWriter::open(out.string(), o, &err);
  ASSERT_TRUE(w) << err;
  const cv::Mat wide(64, 128, CV_8UC3, cv::Scalar(255, 255, 255));  // 2:1, white
  ASSERT_TRUE(w->write(wide)) << w->error();
  ASSERT_TRUE(w->finish()) << w->error();
  auto v = VideoSource::open(out.string(), &err);
  ASSERT_TRUE(v) << err;
  VideoFrame f;
  ASSERT_EQ(v->read(f), ReadStatus::Frame);
  cv::Mat grey;
  cv::cvtColor(f.image, grey, cv::COLOR_BGR2GRAY);
  EXPECT_LT(cv::mean(grey(cv::Rect(0, 0, 128, 28)))[0], 20) << "black bar above";
  EXPECT_GT(cv::mean(grey(cv::Rect(0, 36, 128, 56)))[0], 235) << "the frame, whole, in the middle";
  EXPECT_LT(cv::mean(grey(cv::Rect(0, 100, 128, 28)))[0], 20) << "black bar below";
}

TEST(OutputPath, NeverOverwrites) {
  const fs::path dir = test::scratch_dir() / "recordings";  // created on demand
  const std::string a = unique_output_path(dir.string(), "take", "mp4");
  ASSERT_EQ(a, (dir / "take.mp4").string());
  std::ofstream(a) << "precious";
  const std::string b = unique_output_path(dir.string(), "take", "mp4");
  EXPECT_EQ(b, (dir / "take-2.mp4").string());
  std::ofstream(dir / "take-3.mp4") << "also precious";
  const std::string c = unique_output_path(dir.string(), "take", ".mp4");
  EXPECT_EQ(c, (dir / "take-4.mp4").string());
  std::ifstream in(a);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
  std::string err;
  EXPECT_EQ(unique_output_path("/proc/no/such", "x", "mp4", &err), "");
  EXPECT_NE(err.find("/proc/no/such"), std::string::npos) << err;
  EXPECT_NE(timestamped_stem("livepuppet").find("livepuppet-20"), std::string::npos);
}

TEST(VideoWriter, SigkillLeavesAPlayableFileWithTheFramesReportedWritten) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const fs::path out = test::scratch_dir() / "killed.mp4";
  const auto k = run_and_kill({LP_RECORD_HELPER, "--out", out.string(), "--driving", test::media("d0.mp4").string(),
                               "--fps", "30", "--size", "256x256"},
                              3.0);
  ASSERT_TRUE(WIFSIGNALED(k.wait_status) && WTERMSIG(k.wait_status) == SIGKILL) << "the helper was not killed";
  const long long reported = last_written(k.lines);
  ASSERT_GT(reported, 15) << "the helper reported too few frames in 3 s";
  const auto p = test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << "the killed recording does not play: " << p.error;
  EXPECT_GE(p.video_frames, reported)
      << "file holds " << p.video_frames << " frames, " << reported << " were reported written";
  EXPECT_DOUBLE_EQ(p.fps, 30.0);
}

TEST(VideoWriter, FileSizeLimitGivesClearErrorAndPlayablePart) {
  // bash's `ulimit -f` counts 1024-byte blocks: 1000 = 1 MiB.
  const fs::path out = test::scratch_dir() / "limited.mp4";
  const fs::path err_file = out.string() + ".stderr";
  int status = 0;
  const std::string cmd = "bash -c " + test::shell_quote("ulimit -f 1000; exec " + std::string(LP_RECORD_HELPER) +
                                                         " --out " + test::shell_quote(out.string()) +
                                                         " --fps 200 --size 320x240 --frames 2000 --crf 10") +
                          " 2>" + test::shell_quote(err_file.string());
  const std::string stdout_text = test::run_command(cmd, &status);
  std::ifstream ef(err_file);
  const std::string stderr_text{std::istreambuf_iterator<char>(ef), {}};
  EXPECT_EQ(status, 3) << "expected the helper's write-error exit status; stderr: " << stderr_text;
  EXPECT_NE(stderr_text.find("too large"), std::string::npos) << stderr_text;
  EXPECT_NE(stderr_text.find(out.string()), std::string::npos) << stderr_text;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_LE(fs::file_size(out), 1000u * 1024u);
  std::vector<std::string> lines;
  std::size_t s = 0, nl;
  while ((nl = stdout_text.find('\n', s)) != std::string::npos) {
    lines.push_back(stdout_text.substr(s, nl - s));
    s = nl + 1;
  }
  const long long reported = last_written(lines);
  const auto p = test::ffprobe(out.string());
  ASSERT_TRUE(p.ok) << "the partial file does not play: " << p.error;
  EXPECT_GT(p.video_frames, 0);
  EXPECT_GE(p.video_frames, reported) << "the file lost frames reported written";
}
