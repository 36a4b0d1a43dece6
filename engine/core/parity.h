#pragma once
// `livepuppet-cli parity`: reproduces every array of a parity fixture
// (index.json + NAME.npy, written by the official implementation) from its
// inputs with our exported models and our keypoint maths, each stage fed with
// the fixture's own inputs so that it is checked alone.
#include <ostream>
#include <string>

namespace lp {

struct ParityOptions {
  std::string models_dir;
  std::string fixture_dir;
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "fp32";  // fp32 | fp16 (fp16: errors and PSNR reported, never failing)
};

// Prints one line per compared array and a last line "N passed, M failed".
// Returns the process exit status: 0 all passed (or fp16), 1 a failure,
// 2 when the models or the fixture cannot be read (message on `err`).
int run_parity(const ParityOptions& options, std::ostream& out, std::ostream& err);

}  // namespace lp
