// `livepuppet-cli parity` on a fixture it can check nothing of: zero checks
// prove nothing, so the command fails instead of passing. Needs the exported
// seed-1 models (fixture lp_models_seed1 from tests/models); built into
// neural_session_tests, which has that fixture and the CLI.
#include "ffprobe_probe.h"
#include "test_support.h"

#include <cstdlib>
#include <fstream>
#include <sys/wait.h>

namespace fs = std::filesystem;

namespace {

fs::path models_dir() { return lp::test::binary_dir() / "models-seed1"; }

using lp::test::shell_quote;

}  // namespace

TEST(ParityCli, FixtureWithNothingToCheckFails) {
  if (!fs::exists(models_dir() / "manifest.json"))
    GTEST_SKIP() << "needs " << models_dir().string() << " (made by the ctest fixture models_export_seed1)";
  const auto dir = lp::test::scratch_dir();
  // An index with no arrays, and one with only an input (nothing to recompute).
  const std::pair<const char*, const char*> fixtures[] = {
      {"empty", "{}\n"},
      {"inputs-only", R"({"source_rgb_u8": {"shape": [256, 256, 3], "dtype": "uint8"}})" "\n"},
  };
  for (const auto& [name, index] : fixtures) {
    SCOPED_TRACE(name);
    const auto fx = dir / name;
    fs::create_directories(fx);
    std::ofstream(fx / "index.json") << index;
    const auto err = dir / "stderr.txt";
    const int rc = std::system((std::string(LIVEPUPPET_CLI) + " parity --device cpu --models " +
                                shell_quote(models_dir().string()) + " --fixture " + shell_quote(fx.string()) +
                                " >/dev/null 2>" + shell_quote(err.string()))
                                   .c_str());
    const int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    std::ifstream in(err);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    EXPECT_EQ(status, 1) << text;
    EXPECT_NE(text.find("0 checks ran"), std::string::npos) << text;
    EXPECT_NE(text.find(fx.string()), std::string::npos) << text;
  }
}
