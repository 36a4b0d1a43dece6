// The control registry: names, ranges, text parsing shared by GUI and CLI.
#include "session/controls.h"
#include "session/settings.h"
#include "test_support.h"

#include <set>

using namespace lp;

TEST(Controls, KeysAreUniqueAndDefaultsInRange) {
  std::set<std::string> keys;
  for (const auto& c : control_specs()) {
    EXPECT_TRUE(keys.insert(c.key).second) << c.key;
    EXPECT_NE(c.tooltip, nullptr) << c.key;
    if (c.kind == ControlKind::Slider) {
      const float d = control_default(c);
      EXPECT_GE(d, c.min) << c.key;
      EXPECT_LE(d, c.max) << c.key;
    }
  }
  // The required set is all there.
  for (const char* k : {"stitching", "relative_motion", "paste_back", "eye_retargeting", "lip_retargeting",
                        "normalize_lip", "smoothing", "region", "driving_multiplier", "eye_open", "lip_open",
                        "smile", "wink", "blink", "eyebrow", "pupil_x", "pupil_y", "aaa", "eee", "woo",
                        "head_pitch", "head_yaw", "head_roll", "crop_scale", "crop_vx", "crop_vy", "crop_rotate"})
    EXPECT_NE(find_control(k), nullptr) << k;
}

TEST(Controls, SetFromText) {
  Parameters p;
  EXPECT_EQ(set_control(p, "eye-open", "0"), "");
  EXPECT_FLOAT_EQ(p.animation.eye_open, 0.f);
  EXPECT_FALSE(p.animation.eye_open_auto);
  EXPECT_TRUE(p.animation.eye_retargeting);
  EXPECT_EQ(set_control(p, "eye_open", "auto"), "");
  EXPECT_TRUE(p.animation.eye_open_auto);
  EXPECT_EQ(set_control(p, "lip_open", "5"), "");  // clamped to the range
  EXPECT_FLOAT_EQ(p.animation.lip_open, 0.8f);
  EXPECT_EQ(set_control(p, "stitching", "off"), "");
  EXPECT_FALSE(p.animation.stitching);
  EXPECT_EQ(set_control(p, "region", "lip"), "");
  EXPECT_EQ(p.animation.region, AnimationRegion::Lips);
  EXPECT_EQ(set_control(p, "smile", "0.5"), "");
  EXPECT_FLOAT_EQ(p.animation.edit.smile, 0.5f);
}

TEST(Controls, BadTextNamesTheControl) {
  Parameters p;
  EXPECT_NE(set_control(p, "smile", "lots").find("smile"), std::string::npos);
  EXPECT_NE(set_control(p, "stitching", "maybe").find("stitching"), std::string::npos);
  EXPECT_NE(set_control(p, "no_such_thing", "1").find("no_such_thing"), std::string::npos);
  EXPECT_NE(set_control(p, "smile", "auto").find("auto"), std::string::npos);
}

TEST(Controls, ParametersJsonRoundTrip) {
  Parameters p;
  set_control(p, "smile", "0.9");
  set_control(p, "head_yaw", "-12");
  Parameters q = parameters_from_json_text(parameters_to_json(p));
  EXPECT_FLOAT_EQ(q.animation.edit.smile, 0.9f);
  EXPECT_FLOAT_EQ(q.animation.edit.head_yaw, -12.f);
  EXPECT_THROW(parameters_from_json_text("{nope"), std::runtime_error);
}
