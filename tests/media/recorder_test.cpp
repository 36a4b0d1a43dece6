// The live recorder: a slow encoder makes it drop frames (counted) instead of
// blocking the caller or growing memory; a failing sink stops it with the
// sink's message; a real recording plays with every encoded frame.
#include "ffprobe_probe.h"
#include "media/recorder.h"
#include "test_support.h"

#include <atomic>
#include <thread>

namespace fs = std::filesystem;
using namespace lp;
using namespace std::chrono_literals;

namespace {
// A sink that takes `delay` per frame and can fail after `fail_after` frames.
class FakeSink : public FrameSink {
 public:
  FakeSink(std::chrono::milliseconds delay, int fail_after = -1) : delay_(delay), fail_after_(fail_after) {}
  bool write(const cv::Mat& bgr, std::int64_t pts) override {
    std::this_thread::sleep_for(delay_);
    if (fail_after_ >= 0 && written_ >= fail_after_) {
      failed_ = true;
      return false;
    }
    if (pts <= last_pts_) out_of_order_ = true;
    last_pts_ = pts;
    if (bgr.empty()) empty_ = true;
    ++written_;
    return true;
  }
  bool finish() override {
    finished_ = true;
    return !failed_;
  }
  bool failed() const override { return failed_; }
  std::string error() const override { return failed_ ? "'fake.mp4': the disk is full" : ""; }
  std::int64_t frames_written() const override { return written_; }
  std::int64_t bytes_written() const override { return written_ * 100; }
  std::string path() const override { return "fake.mp4"; }

  std::chrono::milliseconds delay_;
  int fail_after_;
  std::atomic<std::int64_t> written_{0};
  std::atomic<bool> failed_{false}, finished_{false}, out_of_order_{false}, empty_{false};
  std::int64_t last_pts_ = -1;
};
}  // namespace

TEST(Recorder, SlowEncoderDropsFramesWithBoundedQueue) {
  auto sink = std::make_unique<FakeSink>(20ms);
  FakeSink* s = sink.get();
  RecorderOptions o;
  o.queue_capacity = 4;
  o.use_timestamps = false;
  Recorder rec(std::move(sink), o);
  cv::Mat frame(240, 320, CV_8UC3, cv::Scalar(1, 2, 3));
  for (int i = 0; i < 100; ++i) rec.push(frame);  // far faster than 20 ms per frame
  const RecorderStats mid = rec.stats();
  EXPECT_LE(mid.max_queue_depth, 4u);
  const RecorderStats st = rec.stop();
  EXPECT_EQ(st.state, RecorderState::Stopped);
  EXPECT_EQ(st.frames_pushed, 100);
  EXPECT_GT(st.frames_dropped, 0);
  EXPECT_EQ(st.frames_encoded + st.frames_dropped, 100);
  EXPECT_EQ(st.frames_written, s->written_.load());
  EXPECT_LE(st.max_queue_depth, 4u);  // memory bounded: at most 4 frames waiting
  EXPECT_TRUE(s->finished_);
  EXPECT_FALSE(s->out_of_order_);
  EXPECT_FALSE(s->empty_);
}

TEST(Recorder, SinkErrorStopsRecordingWithMessage) {
  RecorderOptions o;
  o.use_timestamps = false;
  o.queue_capacity = 2;
  Recorder rec(std::make_unique<FakeSink>(1ms, 5), o);
  cv::Mat frame(32, 32, CV_8UC3, cv::Scalar::all(7));
  for (int i = 0; i < 200 && rec.state() == RecorderState::Recording; ++i) {
    rec.push(frame);
    std::this_thread::sleep_for(2ms);
  }
  const RecorderStats st = rec.stop();
  EXPECT_EQ(st.state, RecorderState::Failed);
  EXPECT_NE(st.error.find("disk is full"), std::string::npos) << st.error;
  EXPECT_EQ(st.frames_written, 5);
  EXPECT_FALSE(rec.push(frame));  // returns at once after failure
}

TEST(Recorder, TimestampsPlaceFramesOnTheOutputRate) {
  // Frames arriving at 60 fps into a 30 fps recording: every other one skipped.
  auto sink = std::make_unique<FakeSink>(0ms);
  FakeSink* s = sink.get();
  RecorderOptions o;
  o.fps = 30;
  o.queue_capacity = 1000;
  Recorder rec(std::move(sink), o);
  cv::Mat frame(16, 16, CV_8UC3, cv::Scalar::all(1));
  const std::int64_t t0 = 1'000'000'000;
  for (int i = 0; i < 60; ++i) rec.push(frame, t0 + std::int64_t(i) * 1'000'000'000 / 60);
  const RecorderStats st = rec.stop();
  EXPECT_EQ(st.frames_encoded, 30);
  EXPECT_EQ(st.frames_skipped, 30);
  EXPECT_EQ(st.frames_dropped, 0);
  EXPECT_EQ(s->last_pts_, 29);
}

TEST(Recorder, RecordsAPlayableFileWithoutOverwriting) {
  const fs::path dir = test::scratch_dir();
  std::string err;
  RecordingSettings rs;
  rs.folder = dir.string();
  rs.stem = "take";
  rs.width = 160;
  rs.height = 120;
  rs.fps = 30.0;
  rs.crf = 23;
  auto rec = Recorder::to_file(rs, &err);
  ASSERT_TRUE(rec) << err;
  auto rec2 = Recorder::to_file(rs, &err);
  ASSERT_TRUE(rec2) << err;
  EXPECT_EQ(rec->stats().path, (dir / "take.mp4").string());
  EXPECT_EQ(rec2->stats().path, (dir / "take-2.mp4").string());
  rec2->stop();
  cv::Mat frame(120, 160, CV_8UC3);
  const std::int64_t t0 = 5'000'000'000;
  for (int i = 0; i < 45; ++i) {
    cv::randu(frame, 0, 255);
    rec->push(frame, t0 + std::int64_t(i) * 1'000'000'000 / 30);
    while (rec->stats().queue_depth > 4) std::this_thread::sleep_for(1ms);  // do not drop here
  }
  const RecorderStats st = rec->stop();
  EXPECT_EQ(st.state, RecorderState::Stopped) << st.error;
  EXPECT_EQ(st.frames_encoded + st.frames_dropped, 45);
  EXPECT_EQ(st.frames_written, st.frames_encoded);
  EXPECT_EQ(std::int64_t(fs::file_size(st.path)), st.file_bytes);
  const auto p = test::ffprobe(st.path);
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.video_frames, st.frames_encoded);
  EXPECT_DOUBLE_EQ(p.fps, 30.0);
  EXPECT_EQ(p.width, 160);
}

TEST(Recorder, UnwritableFolderIsAClearError) {
  RecordingSettings rs;
  rs.folder = "/proc/livepuppet-recordings";  // cannot be created, root included
  rs.width = 64;
  rs.height = 64;
  std::string err;
  EXPECT_FALSE(Recorder::to_file(rs, &err));
  EXPECT_NE(err.find("/proc/livepuppet-recordings"), std::string::npos) << err;
}
