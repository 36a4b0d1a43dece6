// The capture thread: a video plays at its frame rate into the newest-frame
// mailbox with timestamps and sequence numbers; pause/seek show the sought
// frame; a webcam that cannot be opened is reported, not fatal; shutdown never
// deadlocks.
#include "ffprobe_probe.h"
#include "media/capture_thread.h"
#include "test_support.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>

using namespace lp;
using namespace std::chrono_literals;

TEST(CaptureThread, PlaysVideoAtItsFrameRateWithSequenceAndTimestamps) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  std::string err;
  auto video = VideoSource::open(test::media("d0.mp4").string(), &err);
  ASSERT_TRUE(video) << err;
  auto box = std::make_shared<CaptureMailbox>();
  CaptureThread capture(box);
  const auto t0 = std::chrono::steady_clock::now();
  capture.start_video(std::move(video), /*playing=*/true, /*loop=*/false);
  std::uint64_t last_seq = 0, taken = 0;
  std::int64_t last_ns = 0, last_index = -1;
  while (capture.status().state != CaptureState::Ended) {
    auto f = box->wait_take(200ms);
    if (!f) continue;
    ++taken;
    EXPECT_GT(f->sequence, last_seq);
    EXPECT_GT(f->capture_ns, last_ns);
    EXPECT_GT(f->source_index, last_index);
    EXPECT_EQ(f->image.size(), cv::Size(512, 512));
    last_seq = f->sequence;
    last_ns = f->capture_ns;
    last_index = f->source_index;
    ASSERT_LT(std::chrono::steady_clock::now() - t0, 60s);
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const CaptureStatus st = capture.status();
  EXPECT_EQ(st.frames_published, 78u);
  EXPECT_EQ(st.position, 77);
  EXPECT_GT(taken, 0u);
  // Paced, not decoded flat out: 78 frames at 25 fps take ~3.1 s (lower bound only).
  EXPECT_GE(wall_s, 2.5);
}

// Playback speed: every frame is still published, in a quarter of the time at
// 4x; nonsense speeds are clamped or reset, and the speed survives a new input.
TEST(CaptureThread, PlaybackSpeedKeepsEveryFrame) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  std::string err;
  auto box = std::make_shared<CaptureMailbox>();
  CaptureThread capture(box);
  capture.set_speed(100.0);
  EXPECT_EQ(capture.status().speed, CaptureThread::kMaxSpeed);
  capture.set_speed(std::nan(""));
  EXPECT_EQ(capture.status().speed, 1.0);
  capture.set_speed(4.0);
  auto video = VideoSource::open(test::media("d0.mp4").string(), &err);
  ASSERT_TRUE(video) << err;
  const auto t0 = std::chrono::steady_clock::now();
  capture.start_video(std::move(video), /*playing=*/true, /*loop=*/false);
  EXPECT_EQ(capture.status().speed, 4.0);
  std::int64_t last_index = -1, first_index = -1, first_ns = 0, last_ns = 0;
  std::uint64_t taken = 0;
  while (capture.status().state != CaptureState::Ended) {
    // Take every frame as it comes (a consumer that keeps up sees them all).
    if (auto f = box->wait_take(200ms)) {
      EXPECT_GT(f->source_index, last_index);
      last_index = f->source_index;
      if (first_index < 0) {
        first_index = f->source_index;
        first_ns = f->capture_ns;
      }
      last_ns = f->capture_ns;
      ++taken;
    }
    ASSERT_LT(std::chrono::steady_clock::now() - t0, 60s);
  }
  EXPECT_EQ(capture.status().frames_published, 78u);
  ASSERT_GT(last_index, first_index) << "took fewer than two frames";
  // Frames are published on the video's clock divided by the speed: d0.mp4
  // is 25 fps, so 40 ms apart at 1x and 10 ms at 4x. Measured between the
  // publish times of the frames taken (not the wall time of the whole run,
  // which a busy machine stretches).
  const double period_ms = double(last_ns - first_ns) * 1e-6 / double(last_index - first_index);
  std::printf("d0.mp4 at 4x: a frame every %.1f ms (%llu of 78 taken)\n", period_ms,
              static_cast<unsigned long long>(taken));
  EXPECT_LT(period_ms, 20.0) << "the speed is ignored";
  EXPECT_GT(period_ms, 5.0) << "frames are not paced";
  // The speed is the player's, not the file's: a new video plays at 4x too.
  auto again = VideoSource::open(test::media("d0.mp4").string(), &err);
  ASSERT_TRUE(again) << err;
  capture.start_video(std::move(again), /*playing=*/true, /*loop=*/false);
  EXPECT_EQ(capture.status().speed, 4.0);
}

TEST(CaptureThread, PausedSeekPublishesThatFrame) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  std::string err;
  auto video = VideoSource::open(test::media("d0.mp4").string(), &err);
  ASSERT_TRUE(video) << err;
  auto box = std::make_shared<CaptureMailbox>();
  CaptureThread capture(box);
  capture.start_video(std::move(video), /*playing=*/false, /*loop=*/true);
  auto first = box->wait_take(10s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->source_index, 0);
  capture.seek(50);
  auto sought = box->wait_take(10s);
  ASSERT_TRUE(sought);
  EXPECT_EQ(sought->source_index, 50);
  EXPECT_EQ(capture.status().state, CaptureState::Paused);
  EXPECT_FALSE(box->wait_take(300ms));  // paused: nothing more arrives
  capture.play();
  auto next = box->wait_take(10s);
  ASSERT_TRUE(next);
  EXPECT_GT(next->source_index, 50);
}

TEST(CaptureThread, TruncatedVideoReportsErrorAndKeepsRunning) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = test::scratch_dir();
  const auto fast = dir / "d3_fast.mp4", cut = dir / "d3_cut.mp4";
  if (!test::make_faststart_copy(test::media("d3.mp4").string(), fast.string()))
    GTEST_SKIP() << "ffmpeg (CLI) is needed to prepare the test file";
  std::filesystem::copy_file(fast, cut);
  std::filesystem::resize_file(cut, std::filesystem::file_size(fast) / 2);
  std::string err;
  auto video = VideoSource::open(cut.string(), &err);
  ASSERT_TRUE(video) << err;
  auto box = std::make_shared<CaptureMailbox>();
  CaptureThread capture(box);
  capture.start_video(std::move(video), /*playing=*/false, /*loop=*/true);
  ASSERT_TRUE(box->wait_take(10s));  // frame 0 is fine
  capture.seek(340);                 // beyond the cut
  const auto t0 = std::chrono::steady_clock::now();
  while (capture.status().state != CaptureState::Error && std::chrono::steady_clock::now() - t0 < 20s)
    std::this_thread::sleep_for(20ms);
  const CaptureStatus st = capture.status();
  ASSERT_EQ(st.state, CaptureState::Error);
  EXPECT_NE(st.message.find(cut.string()), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("frame"), std::string::npos) << st.message;
  // Still alive: seeking back to the good part shows frames again.
  capture.seek(10);
  auto f = box->wait_take(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->source_index, 10);

  // Play after the error restarts from the first frame, as play at the end does.
  capture.seek(340);
  const auto t1 = std::chrono::steady_clock::now();
  while (capture.status().state != CaptureState::Error && std::chrono::steady_clock::now() - t1 < 20s)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(capture.status().state, CaptureState::Error);
  while (box->try_take()) {
  }
  capture.play();
  f = box->wait_take(10s);
  ASSERT_TRUE(f) << "play after an error did nothing";
  EXPECT_EQ(f->source_index, 0);
}

// A one-frame video on loop shows its frame at the video's rate; it must not
// republish it flat out (a busy loop that takes both cores from the engine).
TEST(CaptureThread, OneFrameVideoOnLoopIsPacedNotSpinning) {
  const auto path = test::scratch_dir() / "one.mp4";
  if (!test::run_ffmpeg("-f lavfi -i color=c=gray:s=64x64:r=25 -frames:v 1 -c:v libx264 -pix_fmt yuv420p " +
                        test::shell_quote(path.string())))
    GTEST_SKIP() << "ffmpeg (CLI) is needed to prepare the test file";
  std::string err;
  auto video = VideoSource::open(path.string(), &err);
  ASSERT_TRUE(video) << err;
  auto box = std::make_shared<CaptureMailbox>();
  CaptureThread capture(box);
  capture.start_video(std::move(video), /*playing=*/true, /*loop=*/true);
  std::this_thread::sleep_for(1s);
  const std::uint64_t published = capture.status().frames_published;
  EXPECT_GE(published, 5u) << "the frame is shown again and again on loop";
  EXPECT_LE(published, 60u) << "republished flat out instead of at 25 fps";
}

TEST(Camera, MissingWebcamCannotOpen) {
  for (const CameraDevice& d : list_cameras()) {  // enumerates without crashing (none on CI)
    EXPECT_FALSE(d.path.empty());
    EXPECT_FALSE(d.name.empty());
  }
  CameraSource cam;
  EXPECT_FALSE(cam.open(99));
  EXPECT_EQ(cam.state(), CameraState::Closed);
  EXPECT_NE(cam.error().find("/dev/video99"), std::string::npos) << cam.error();
  cv::Mat frame;
  EXPECT_FALSE(cam.read(frame));
  EXPECT_FALSE(cam.reconnect());
}

// A camera that is plugged in but sends nothing must not keep the capture
// thread in read() for OpenCV's default 10 s: closing it or switching inputs
// waits for that read. A value the user exported stays; an empty one (which
// OpenCV cannot parse) counts as unset. (setenv here is safe: gtest runs the
// tests on one thread.)
TEST(Camera, StalledCameraReadWaitIsBounded) {
  const char* before = std::getenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT");
  const std::string exported = before ? before : "";
  ::setenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "", 1);
  bound_camera_frame_wait();
  ASSERT_NE(std::getenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT"), nullptr);
  EXPECT_STREQ(std::getenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT"), "1") << "an empty value was kept";
  ::setenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "4", 1);
  bound_camera_frame_wait();
  EXPECT_STREQ(std::getenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT"), "4") << "the user's own setting was overwritten";
  if (exported.empty()) {
    ::unsetenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT");
  } else {
    ::setenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", exported.c_str(), 1);
  }
}

TEST(CaptureThread, LostCameraReportedReconnectAndShutdownDoNotHang) {
  auto cam = std::make_unique<CameraSource>();
  ASSERT_FALSE(cam->open("/dev/video99"));
  auto box = std::make_shared<CaptureMailbox>();
  auto capture = std::make_unique<CaptureThread>(box);
  capture->start_camera(std::move(cam));
  EXPECT_EQ(capture->status().state, CaptureState::CameraLost);
  EXPECT_NE(capture->status().message.find("/dev/video99"), std::string::npos);
  capture->reconnect();  // still absent: stays lost, with a message
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(capture->status().state, CaptureState::CameraLost);
  EXPECT_FALSE(capture->status().message.empty());
  // A consumer blocked on the mailbox and the capture thread both stop.
  auto consumer = std::async(std::launch::async, [&] { return box->wait_take().has_value(); });
  auto stopped = std::async(std::launch::async, [&] {
    capture.reset();
    box->close();
  });
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready) << "capture thread shutdown deadlocked";
  ASSERT_EQ(consumer.wait_for(10s), std::future_status::ready) << "consumer not released by close()";
  EXPECT_FALSE(consumer.get());
}

TEST(CaptureThread, StopWhilePlayingDoesNotHang) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  std::string err;
  auto video = VideoSource::open(test::media("d0.mp4").string(), &err);
  ASSERT_TRUE(video) << err;
  auto box = std::make_shared<CaptureMailbox>();
  auto capture = std::make_unique<CaptureThread>(box);
  capture->start_video(std::move(video));
  ASSERT_TRUE(box->wait_take(10s));
  auto stopped = std::async(std::launch::async, [&] { capture.reset(); });
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
}
