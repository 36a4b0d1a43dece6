// `livepuppet-cli bench`: see engine/core/bench.h.
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "cli_options.h"
#include "core/bench.h"

int cmd_bench(int argc, char** argv) {
  lp::BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--models") o.models_dir = value("--models");
      else if (a == "--device") o.device = value("--device");
      else if (a == "--precision") o.precision = value("--precision");
      else if (a == "--frames" || a == "--warmup" || a == "--batch") {
        // A batch is one tensor of B driving frames on the device, allocated
        // before anything runs: 256 is far past the sizes benchmarked (1, 4, 16).
        const long long lo = a == "--warmup" ? 0 : 1, hi = a == "--batch" ? 256 : 1000000;
        long long v = 0;
        if (!lp::cli::parse_int_option("bench", a.c_str(), value(a.c_str()), lo, hi, &v)) return 2;
        (a == "--frames" ? o.frames : a == "--warmup" ? o.warmup : o.batch) = static_cast<int>(v);
      } else if (a == "--optimize") o.optimize = true;
      else if (a == "--cuda-graphs") o.cuda_graphs = true;
      else if (a == "--channels-last") o.channels_last = true;
      else if (a == "--smoothing") o.smoothing = true;
      else if (a == "--no-prepare-graph") o.prepare_graph = false;
      else if (a == "--no-compiled") o.compiled = false;
      else if (a == "--suite") o.suite = true;
      else if (a == "--baseline") o.baseline_json = value("--baseline");
      else if (a == "--trace") o.trace_path = value("--trace");
      else if (a == "-h" || a == "--help") {
        std::cout << "usage: livepuppet-cli bench --models DIR [--device auto|cpu|cuda] [--precision auto|fp32|fp16] "
                     "[--frames N] [--warmup N] [--batch B] [--optimize] [--cuda-graphs] [--channels-last] [--smoothing]\n"
                     "       [--no-prepare-graph] [--no-compiled] [--trace FILE]\n"
                     "       livepuppet-cli bench --models DIR --suite [--device cuda] [--frames N] [--baseline FILE]\n"
                     "  --suite runs eager fp32, eager fp16, eager fp16 frozen and CUDA graphs fp16 at batch 1/4/16\n"
                     "  (and batch 1 with smoothing, and without the preparation graph)\n"
                     "  in one process (--channels-last: those graph runs in channels-last), then the\n"
                     "  compiled (AOTInductor) packages of DIR/compiled when present;\n"
                     "  --no-compiled runs TorchScript even where compiled packages fit;\n"
                     "  --baseline reads models/bench_pytorch_baseline.py's JSON for the speed-up;\n"
                     "  --trace writes 20 more calls, after the timed ones, as a Chrome trace (CPU ops, CUDA kernels).\n";
        return 0;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    } catch (const std::exception& e) {
      std::cerr << "bench: " << e.what() << "\n";
      return 2;
    }
  }
  if (o.models_dir.empty()) {
    std::cerr << "bench: --models DIR is required\n";
    return 2;
  }
  // Read at the end of a suite that runs for minutes: say now if it cannot be.
  if (!o.baseline_json.empty() && !std::ifstream(o.baseline_json)) {
    std::cerr << "bench: cannot read the baseline file " << o.baseline_json << "\n";
    return 2;
  }
  try {
    return lp::run_bench(o, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "bench: " << e.what() << "\n";
    return 2;
  }
}
