#pragma once
// Helpers shared by the test binaries: where the repository, the build and the
// shared reference data live, and a visible skip when ../shared is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace lp::test {

inline std::filesystem::path source_dir() { return LIVEPUPPET_SOURCE_DIR; }
inline std::filesystem::path binary_dir() { return LIVEPUPPET_BINARY_DIR; }
inline std::filesystem::path shared_dir() { return LIVEPUPPET_SHARED_DIR; }
inline std::filesystem::path shared_path(const std::string& rel) { return shared_dir() / rel; }
inline std::filesystem::path media(const std::string& name) { return shared_dir() / "media" / name; }

// A fresh scratch directory under the build tree, unique per test case.
inline std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path p = binary_dir() / "test-scratch" /
                            (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace lp::test

// Skips the current test, with the reason printed, when ../shared (or one file
// in it) is missing: a user's fresh clone has no ../shared; CI always does.
#define LP_REQUIRE_SHARED(rel)                                                         \
  do {                                                                                 \
    if (!std::filesystem::exists(::lp::test::shared_path(rel)))                        \
      GTEST_SKIP() << "needs ../shared/" << (rel) << " (not found at "                 \
                   << ::lp::test::shared_path(rel).string() << ")";                    \
  } while (0)
