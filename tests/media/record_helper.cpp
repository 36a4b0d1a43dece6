// lp_record_helper: records live-style into a fragmented MP4 until killed,
// a frame limit, or a write error, printing "written N submitted M" whenever
// the number of frames durably in the file changes. Used by the crash-safety
// (SIGKILL) and size-limit (ulimit -f) tests.
//
//   lp_record_helper --out FILE [--driving VIDEO] [--fps 30] [--size 256x256]
//                    [--frames N (0 = until killed)] [--crf 23]
// Exit status: 0 done, 2 bad arguments / cannot open, 3 write error (message on stderr).
#include "media/recorder.h"
#include "media/video_source.h"
#include "media/video_writer.h"

#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

using namespace lp;

int main(int argc, char** argv) {
  std::string out, driving;
  double fps = 30;
  int width = 256, height = 256, crf = 23;
  long frames = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--out") out = v;
    else if (k == "--driving") driving = v;
    else if (k == "--fps") fps = std::atof(v.c_str());
    else if (k == "--frames") frames = std::atol(v.c_str());
    else if (k == "--crf") crf = std::atoi(v.c_str());
    else if (k == "--size") std::sscanf(v.c_str(), "%dx%d", &width, &height);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (out.empty() || fps <= 0) {
    std::fprintf(stderr, "usage: lp_record_helper --out FILE [--driving VIDEO] [--fps F] [--size WxH] [--frames N]\n");
    return 2;
  }
  std::unique_ptr<VideoSource> video;
  std::string err;
  if (!driving.empty()) {
    video = VideoSource::open(driving, &err);
    if (!video) {
      std::fprintf(stderr, "error: %s\n", err.c_str());
      return 2;
    }
    video->set_loop(true);
  }
  VideoWriterOptions wo;  // the live-recording settings (see Recorder::to_file)
  wo.width = width;
  wo.height = height;
  wo.fps_num = int(fps);
  wo.crf = crf;
  wo.low_latency = true;
  wo.fragment_seconds = 0.0;
  auto writer = VideoWriter::open(out, wo, &err);
  if (!writer) {
    std::fprintf(stderr, "error: %s\n", err.c_str());
    return 2;
  }
  RecorderOptions ro;
  ro.fps = fps;
  Recorder rec(std::move(writer), ro);

  const auto period = std::chrono::duration<double>(1.0 / fps);
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t last_written = -1;
  cv::Mat frame(height, width, CV_8UC3);
  for (long n = 0; frames == 0 || n < frames; ++n) {
    if (video) {
      VideoFrame vf;
      if (video->read(vf) != ReadStatus::Frame) {
        std::fprintf(stderr, "error: %s\n", video->error().c_str());
        return 2;
      }
      cv::resize(vf.image, frame, frame.size(), 0, 0, cv::INTER_AREA);
    } else {
      cv::randu(frame, 0, 255);  // noise: incompressible, grows files fast
      cv::putText(frame, std::to_string(n), {10, height / 2}, cv::FONT_HERSHEY_SIMPLEX, 2.0, {255, 255, 255}, 3);
    }
    rec.push(frame);
    const RecorderStats st = rec.stats();
    if (st.frames_written != last_written) {
      last_written = st.frames_written;
      std::printf("written %lld submitted %lld\n", static_cast<long long>(st.frames_written),
                  static_cast<long long>(st.frames_encoded));
      std::fflush(stdout);
    }
    if (st.state == RecorderState::Failed) break;
    std::this_thread::sleep_until(t0 + period * double(n + 1));
  }
  const RecorderStats st = rec.stop();
  std::printf("written %lld submitted %lld\n", static_cast<long long>(st.frames_written),
              static_cast<long long>(st.frames_encoded));
  std::printf("dropped %lld bytes %lld\n", static_cast<long long>(st.frames_dropped),
              static_cast<long long>(st.file_bytes));
  std::fflush(stdout);
  if (st.state == RecorderState::Failed) {
    std::fprintf(stderr, "error: %s\n", st.error.c_str());
    return 3;
  }
  return 0;
}
