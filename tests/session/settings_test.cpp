// Settings persistence: round trip, corrupt and unknown-version files.
#include "session/settings.h"
#include "test_support.h"

#include <fstream>

using namespace lp;

namespace {
void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}
}  // namespace

TEST(Settings, MissingFileGivesDefaultsWithoutWarning) {
  auto dir = lp::test::scratch_dir();
  SettingsLoadResult r = load_settings(dir / "nope" / "settings.json");
  EXPECT_TRUE(r.warning.empty());
  EXPECT_EQ(r.settings.window_width, Settings{}.window_width);
}

TEST(Settings, RoundTripKeepsEveryControl) {
  auto dir = lp::test::scratch_dir();
  Settings s;
  s.window_width = 1234;
  s.window_height = 777;
  s.last_source = "/tmp/a.jpg";
  s.last_driving = "camera:1";
  s.add_recent_source("/tmp/b.jpg");
  s.add_recent_source("/tmp/a.jpg");
  s.parameters.engine = EngineKind::Neural;
  s.parameters.animation.eye_open = 0.1f;
  s.parameters.animation.eye_open_auto = false;
  s.parameters.animation.edit.smile = 0.7f;
  s.parameters.animation.region = AnimationRegion::Lips;
  s.parameters.source_crop.scale = 2.7f;
  s.recording.crf = 25;
  const auto path = dir / "cfg" / "settings.json";
  ASSERT_EQ(save_settings(s, path), "");
  SettingsLoadResult r = load_settings(path);
  EXPECT_TRUE(r.warning.empty()) << r.warning;
  EXPECT_EQ(r.settings.window_width, 1234);
  EXPECT_EQ(r.settings.last_driving, "camera:1");
  ASSERT_EQ(r.settings.recent_sources.size(), 2u);
  EXPECT_EQ(r.settings.recent_sources[0], "/tmp/a.jpg");  // newest first, no duplicates
  EXPECT_EQ(r.settings.parameters.engine, EngineKind::Neural);
  EXPECT_FLOAT_EQ(r.settings.parameters.animation.eye_open, 0.1f);
  EXPECT_FALSE(r.settings.parameters.animation.eye_open_auto);
  EXPECT_FLOAT_EQ(r.settings.parameters.animation.edit.smile, 0.7f);
  EXPECT_EQ(r.settings.parameters.animation.region, AnimationRegion::Lips);
  EXPECT_FLOAT_EQ(r.settings.parameters.source_crop.scale, 2.7f);
  EXPECT_EQ(r.settings.recording.crf, 25);
}

TEST(Settings, CorruptFileWarnsUsesDefaultsAndKeepsBadCopy) {
  auto dir = lp::test::scratch_dir();
  const auto path = dir / "settings.json";
  write(path, "{ \"version\": 1, \"window\": { \"width\": 9");  // cut off mid-way
  SettingsLoadResult r = load_settings(path);
  EXPECT_NE(r.warning.find("settings.json"), std::string::npos) << r.warning;
  EXPECT_EQ(r.settings.window_width, Settings{}.window_width);
  EXPECT_TRUE(std::filesystem::exists(dir / "settings.json.bad"));
  EXPECT_FALSE(std::filesystem::exists(path));
  // The next save works and the next load is clean.
  ASSERT_EQ(save_settings(r.settings, path), "");
  EXPECT_TRUE(load_settings(path).warning.empty());
}

TEST(Settings, UnknownVersionWarns) {
  auto dir = lp::test::scratch_dir();
  const auto path = dir / "settings.json";
  write(path, R"({"version": 99, "window": {"width": 1000, "height": 700}})");
  SettingsLoadResult r = load_settings(path);
  EXPECT_NE(r.warning.find("version 99"), std::string::npos) << r.warning;
  EXPECT_EQ(r.settings.window_width, Settings{}.window_width);
  EXPECT_TRUE(std::filesystem::exists(dir / "settings.json.bad"));
}

TEST(Settings, WrongTypesAreRejectedNotCrashing) {
  auto dir = lp::test::scratch_dir();
  const auto path = dir / "settings.json";
  write(path, R"({"version": 1, "parameters": {"animation": {"eye_open": "wide"}}})");
  SettingsLoadResult r = load_settings(path);
  EXPECT_FALSE(r.warning.empty());
  EXPECT_FLOAT_EQ(r.settings.parameters.animation.eye_open, AnimationParams{}.eye_open);
}

TEST(Settings, UnwritableFolderGivesMessage) {
  Settings s;
  std::string e = save_settings(s, "/proc/livepuppet-cannot/settings.json");
  EXPECT_FALSE(e.empty());
}
