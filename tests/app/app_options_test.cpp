// The GUI's command line: values are checked and bad ones named.
#include "app_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lp {
namespace {

bool parse(std::vector<std::string> args, AppOptions& o, std::string& error) {
  args.insert(args.begin(), "livepuppet");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_app_options(static_cast<int>(argv.size()), argv.data(), o, error);
}

TEST(AppOptions, PlaybackSpeed) {
  AppOptions o;
  std::string error;
  ASSERT_TRUE(parse({"--driving", "d.mp4", "--speed", "0.5"}, o, error)) << error;
  EXPECT_EQ(o.driving, "d.mp4");
  EXPECT_DOUBLE_EQ(o.driving_speed, 0.5);
  for (const char* bad : {"0", "9", "fast", "2x", "-1"}) {
    AppOptions b;
    EXPECT_FALSE(parse({"--speed", bad}, b, error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
  AppOptions m;
  EXPECT_FALSE(parse({"--speed"}, m, error));
  EXPECT_NE(error.find("--speed"), std::string::npos) << error;
}

}  // namespace
}  // namespace lp
