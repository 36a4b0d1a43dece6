// livepuppet-cli bench-tracking VIDEO [--frames N] [--sync]: face tracking cost
// per frame (detection amortised). Prints numbers; asserts nothing.
#include "cli_options.h"
#include "vision/tracking_bench.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

int cmd_bench_tracking(int argc, char** argv) {
  std::string video;
  lp::TrackingBenchOptions opts;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--frames")) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench-tracking: --frames needs a value\n");
        return 2;
      }
      long long n = 0;
      if (!lp::cli::parse_int_option("bench-tracking", "--frames", argv[++i], 0, 1000000, &n)) return 2;
      opts.max_frames = static_cast<int>(n);
    } else if (!std::strcmp(argv[i], "--sync")) {
      opts.tracker.background_redetect = false;
    } else if (!std::strcmp(argv[i], "--help")) {
      std::printf("usage: livepuppet-cli bench-tracking VIDEO [--frames N] [--sync]\n");
      return 0;
    } else {
      video = argv[i];
    }
  }
  if (video.empty()) {
    std::fprintf(stderr, "bench-tracking: give a video file\n");
    return 2;
  }
  // "clip:1.mp4" is a file, not a URL, to OpenCV's FFmpeg backend.
  lp::TrackingBenchResult r = lp::run_tracking_bench(lp::cli::local_file(video), opts);
  if (!r.ok) {
    std::fprintf(stderr, "bench-tracking: %s\n", r.error.c_str());
    return 1;
  }
  lp::print_tracking_bench(r, std::cout);
  return 0;
}
