// `livepuppet-cli parity`: see engine/core/parity.h.
#include <stdexcept>
#include <iostream>
#include <string>

#include "core/parity.h"

int cmd_parity(int argc, char** argv) {
  lp::ParityOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--models") o.models_dir = value("--models");
      else if (a == "--fixture") o.fixture_dir = value("--fixture");
      else if (a == "--device") o.device = value("--device");
      else if (a == "--precision") o.precision = value("--precision");
      else if (a == "-h" || a == "--help") {
        std::cout << "usage: livepuppet-cli parity --models DIR --fixture DIR [--device auto|cpu|cuda] "
                     "[--precision fp32|fp16]\n";
        return 0;
      } else {
        throw std::invalid_argument("unknown option " + a);
      }
    } catch (const std::exception& e) {
      std::cerr << "parity: " << e.what() << "\n";
      return 2;
    }
  }
  if (o.models_dir.empty() || o.fixture_dir.empty()) {
    std::cerr << "parity: --models DIR and --fixture DIR are required\n";
    return 2;
  }
  if (o.precision != "fp32" && o.precision != "fp16") {
    std::cerr << "parity: --precision must be fp32 or fp16\n";
    return 2;
  }
  try {
    return lp::run_parity(o, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "parity: " << e.what() << "\n";
    return 2;
  }
}
