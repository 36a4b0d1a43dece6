// livepuppet-cli: the engine's tools on the command line. Each subcommand lives
// in its own cmd_*.cpp (their shared option parsing in cli_options.h); this
// file only dispatches. In LIVEPUPPET_ENGINE_ONLY builds (a GPU box with
// nothing but LibTorch) only `parity` and `bench` exist.
#include "core/cuda_memory.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

int cmd_parity(int argc, char** argv);
int cmd_bench(int argc, char** argv);
#ifdef LIVEPUPPET_FULL_CLI
int cmd_render(int argc, char** argv);
int cmd_bench_tracking(int argc, char** argv);
int cmd_bench_classic(int argc, char** argv);
#endif

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* help;
};

const Command kCommands[] = {
#ifdef LIVEPUPPET_FULL_CLI
    {"render", cmd_render, "render a portrait driven by a video, image or motion file to MP4"},
    {"bench-tracking", cmd_bench_tracking, "face tracking cost per frame on a video"},
    {"bench-classic", cmd_bench_classic, "classic engine per-stage times"},
#endif
    {"parity", cmd_parity, "check exported models + keypoint maths against a reference fixture"},
    {"bench", cmd_bench, "neural engine speed per stage (JSON)"},
};

void usage() {
  std::fprintf(stderr, "usage: livepuppet-cli <command> [options]   (command --help for its options)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(stderr, "  %-16s %s\n", c.name, c.help);
}

}  // namespace

int main(int argc, char** argv) {
  lp::prefer_expandable_cuda_segments();  // before any thread or CUDA tensor
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    // The commands report their errors themselves; this is the safety net for
    // an exception one of them missed (OpenCV, LibTorch and the standard
    // library all throw), which would otherwise abort with a core dump.
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: error: %s\n", c.name, e.what());
    } catch (...) {
      std::fprintf(stderr, "%s: error: unexpected failure (unknown exception)\n", c.name);
    }
    return 1;
  }
  std::fprintf(stderr, "livepuppet-cli: unknown command '%s'\n\n", argv[1]);
  usage();
  return 2;
}
