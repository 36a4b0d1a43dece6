// Settings persistence: round trip, corrupt and unknown-version files.
#include "session/controls.h"
#include "session/settings.h"
#include "test_support.h"

#include <fstream>
#include <iterator>

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
  EXPECT_NE(e.find("/proc/livepuppet-cannot"), std::string::npos) << "the message should name the folder: " << e;
}

// A hand-edited file with values no slider can reach: each is brought into
// range (a 1e30 smile would tear the face apart) and named in the warning;
// the values that were fine are kept.
TEST(Settings, OutOfRangeValuesAreClampedAndNamed) {
  auto dir = lp::test::scratch_dir();
  const auto path = dir / "settings.json";
  write(path, R"({"version": 1, "window": {"width": 16384, "height": 16384},
    "parameters": {"device": "tpu", "face_index": -4,
      "animation": {"region": "banana", "driving_multiplier": 1e38, "eye_open": 0.2,
                    "edit": {"smile": 3.0, "head_yaw": 90}}}})");
  SettingsLoadResult r = load_settings(path);
  const AnimationParams& a = r.settings.parameters.animation;
  EXPECT_FLOAT_EQ(a.edit.smile, find_control("smile")->max);
  EXPECT_FLOAT_EQ(a.edit.head_yaw, find_control("head_yaw")->max);
  EXPECT_FLOAT_EQ(a.driving_multiplier, find_control("driving_multiplier")->max);
  EXPECT_FLOAT_EQ(a.eye_open, 0.2f);  // in range: kept
  EXPECT_EQ(r.settings.parameters.device, "auto");
  EXPECT_EQ(r.settings.parameters.face_index, 0);
  EXPECT_EQ(r.settings.window_width, Settings::kMaxWindowWidth);
  EXPECT_EQ(r.settings.window_height, Settings::kMaxWindowHeight);
  for (const char* key : {"smile", "head_yaw", "driving_multiplier", "device", "face_index", "banana", "window"})
    EXPECT_NE(r.warning.find(key), std::string::npos) << key << " not named in: " << r.warning;
  EXPECT_EQ(r.warning.find("eye_open"), std::string::npos) << r.warning;
  EXPECT_TRUE(std::filesystem::exists(path)) << "a file with fixable values is not set aside";
  // A device the engine accepts is kept as is.
  write(path, R"({"version": 1, "parameters": {"device": "cuda:1"}})");
  const SettingsLoadResult cuda1 = load_settings(path);
  EXPECT_EQ(cuda1.settings.parameters.device, "cuda:1");
  EXPECT_TRUE(cuda1.warning.empty()) << cuda1.warning;
  // The CLI's --settings reads parameters the same way.
  std::vector<std::string> adjusted;
  const Parameters p = parameters_from_json_text(R"({"animation": {"edit": {"smile": 1e30}}})", &adjusted);
  EXPECT_FLOAT_EQ(p.animation.edit.smile, find_control("smile")->max);
  ASSERT_EQ(adjusted.size(), 1u);
  EXPECT_NE(adjusted[0].find("smile"), std::string::npos) << adjusted[0];
}

// A folder where the settings file should be is left alone (not renamed).
TEST(Settings, FolderInsteadOfFileIsLeftAlone) {
  auto dir = lp::test::scratch_dir();
  const auto path = dir / "settings.json";
  std::filesystem::create_directories(path / "inside");
  SettingsLoadResult r = load_settings(path);
  EXPECT_NE(r.warning.find("not a file"), std::string::npos) << r.warning;
  EXPECT_TRUE(std::filesystem::is_directory(path / "inside"));
  EXPECT_FALSE(std::filesystem::exists(dir / "settings.json.bad"));
}

// The default model folder is the source tree's models/exported/ as an
// absolute path, so the app finds models exported there whichever folder it
// was started from. Settings saved by earlier versions hold the relative
// default, which now means the same folder; a folder the user chose stays.
TEST(Settings, DefaultModelFolderDoesNotDependOnTheWorkingDirectory) {
  const std::filesystem::path expected = lp::test::source_dir() / "models" / "exported";
  EXPECT_TRUE(std::filesystem::path(Settings{}.models_dir).is_absolute()) << Settings{}.models_dir;
  EXPECT_EQ(std::filesystem::path(Settings{}.models_dir).lexically_normal(), expected.lexically_normal());
  auto dir = lp::test::scratch_dir();
  const auto path = dir / "settings.json";
  write(path, R"({ "version": 1, "models_dir": "models/exported" })");
  SettingsLoadResult r = load_settings(path);
  EXPECT_EQ(r.settings.models_dir, Settings{}.models_dir);
  write(path, R"({ "version": 1, "models_dir": "/data/liveportrait" })");
  r = load_settings(path);
  EXPECT_EQ(r.settings.models_dir, "/data/liveportrait");
  // Saved, the default stays unwritten (a moved checkout finds its own); a
  // chosen folder is kept.
  ASSERT_EQ(save_settings(Settings{}, path), "");
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("models_dir"), std::string::npos) << text;
  Settings chosen;
  chosen.models_dir = "/data/liveportrait";
  ASSERT_EQ(save_settings(chosen, path), "");
  EXPECT_EQ(load_settings(path).settings.models_dir, "/data/liveportrait");
}
