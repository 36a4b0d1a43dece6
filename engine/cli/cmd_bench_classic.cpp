// livepuppet-cli bench-classic --source IMG --driving VIDEO [--frames N]
// [--source-side PX]: classic engine per-stage times (decode, tracking, mesh
// update, CPU render). Prints numbers; asserts nothing.
#include "classic/classic_bench.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

int cmd_bench_classic(int argc, char** argv) {
  lp::ClassicBenchOptions o;
  for (int i = 1; i < argc; ++i) {
    auto val = [&]() { return i + 1 < argc ? argv[++i] : ""; };
    if (!std::strcmp(argv[i], "--source")) o.source_path = val();
    else if (!std::strcmp(argv[i], "--driving")) o.driving_path = val();
    else if (!std::strcmp(argv[i], "--frames")) o.max_frames = std::atoi(val());
    else if (!std::strcmp(argv[i], "--source-side")) o.source_side = std::atoi(val());
    else {
      std::fprintf(stderr, "usage: livepuppet-cli bench-classic --source IMG --driving VIDEO [--frames N] [--source-side PX]\n");
      return std::strcmp(argv[i], "--help") ? 2 : 0;
    }
  }
  if (o.source_path.empty() || o.driving_path.empty()) {
    std::fprintf(stderr, "bench-classic: --source and --driving are required\n");
    return 2;
  }
  lp::ClassicBenchResult r = lp::run_classic_bench(o);
  if (!r.ok) {
    std::fprintf(stderr, "bench-classic: %s\n", r.error.c_str());
    return 1;
  }
  lp::print_classic_bench(r, std::cout);
  return 0;
}
