// The GUI's Export runs the offline render in the background: progress is
// reported while it runs, Cancel stops it and leaves a playable file.
#include "export_job.h"
#include "test_support.h"

#include "media/video_source.h"

#include <chrono>
#include <thread>

TEST(ExportJob, ReportsProgressAndCancelLeavesPlayableFile) {
  LP_REQUIRE_SHARED("media/d3.mp4");
  const auto dir = lp::test::scratch_dir();
  lp::RenderRequest rq;
  rq.source = lp::test::media("s42.jpg").string();
  rq.driving = lp::test::media("d3.mp4").string();
  rq.out = (dir / "export.mp4").string();
  lp::ExportJob job;
  ASSERT_TRUE(job.start(rq));
  EXPECT_FALSE(job.start(rq));  // one export at a time
  // Wait for some progress, then cancel.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (job.progress().done < 20 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const lp::RenderProgress p = job.progress();
  EXPECT_GE(p.done, 20);
  EXPECT_EQ(p.total, 354);
  job.cancel();
  lp::RenderResult r;
  while (!job.take_result(r) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(job.running());
  std::string e;
  auto v = lp::VideoSource::open(rq.out, &e);
  ASSERT_TRUE(v) << e;
  lp::VideoFrame f;
  int n = 0;
  while (v->read(f) == lp::ReadStatus::Frame) ++n;
  EXPECT_GE(n, 20);
  EXPECT_LT(n, 354);
}

TEST(ExportJob, FinishedExportHasEveryFrame) {
  LP_REQUIRE_SHARED("media/d0.mp4");
  const auto dir = lp::test::scratch_dir();
  lp::RenderRequest rq;
  rq.source = lp::test::media("s42.jpg").string();
  rq.driving = lp::test::media("d0.mp4").string();
  rq.out = (dir / "export.mp4").string();
  lp::ExportJob job;
  ASSERT_TRUE(job.start(rq));
  lp::RenderResult r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!job.take_result(r) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.frames, 78);
}
