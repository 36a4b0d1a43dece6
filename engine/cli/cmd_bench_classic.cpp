// livepuppet-cli bench-classic --source IMG --driving VIDEO [--frames N]
// [--source-side PX]: classic engine per-stage times (decode, tracking, mesh
// update, CPU render). Prints numbers; asserts nothing.
#include "cli_options.h"
#include "classic/classic_bench.h"
#include "media/image_loader.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: livepuppet-cli bench-classic --source IMG --driving VIDEO [--frames N] [--source-side PX]\n"
               "  --frames N        driving frames to time (0 = the whole video; default 150)\n"
               "  --source-side PX  resize the portrait so its longer side is PX, 64 to 8192 (0 = as is; default 1024)\n");
}

}  // namespace

int cmd_bench_classic(int argc, char** argv) {
  lp::ClassicBenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    }
    const bool takes_value = a == "--source" || a == "--driving" || a == "--frames" || a == "--source-side";
    if (!takes_value) {
      std::fprintf(stderr, "bench-classic: unknown option %s\n", a.c_str());
      usage();
      return 2;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench-classic: %s needs a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    long long n = 0;
    if (a == "--source") o.source_path = v;
    else if (a == "--driving") o.driving_path = v;
    else if (a == "--frames") {
      if (!lp::cli::parse_int_option("bench-classic", "--frames", v, 0, 1000000, &n)) return 2;
      o.max_frames = static_cast<int>(n);
    } else {
      // The resize happens before anything else: 100000 asks for a 30 GB
      // image, 10 for a portrait too small to hold a face. 0 keeps the size.
      if (v != "0" && !lp::cli::parse_int_option("bench-classic", "--source-side", v, 64, 8192, &n)) return 2;
      o.source_side = static_cast<int>(n);
    }
  }
  if (o.source_path.empty() || o.driving_path.empty()) {
    std::fprintf(stderr, "bench-classic: --source and --driving are required\n");
    return 2;
  }
  // The portrait goes through the same checks as `render`'s (missing, not an
  // image, truncated, absurd declared dimensions such as a crafted
  // 100000x100000 PNG): run_classic_bench reads it with a bare cv::imread.
  const lp::ImageLoadResult img = lp::load_image(o.source_path);
  if (!img.ok()) {
    std::fprintf(stderr, "bench-classic: %s\n", img.message.c_str());
    return 1;
  }
  o.driving_path = lp::cli::local_file(o.driving_path);  // "clip:1.mp4" is a file, not a URL
  lp::ClassicBenchResult r = lp::run_classic_bench(o);
  if (!r.ok) {
    std::fprintf(stderr, "bench-classic: %s\n", r.error.c_str());
    return 1;
  }
  lp::print_classic_bench(r, std::cout);
  return 0;
}
