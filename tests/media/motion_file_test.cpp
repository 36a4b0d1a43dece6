// Motion templates: a saved performance reads back bit-exactly; a bad file
// gives a message naming it and the problem.
#include "media/motion_file.h"
#include "test_support.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace fs = std::filesystem;
using namespace lp;

namespace {
MotionClip make_clip(int frames) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  MotionClip c;
  c.fps = 30.0;
  c.source_video = "d10.mp4";
  c.engine = "neural";
  for (int i = 0; i < frames; ++i) {
    MotionFrame f;
    f.index = i;
    f.time_s = i / 30.0;
    f.eye_ratio = std::array<float, 2>{0.3f + u(rng) * 0.1f, 0.31f + u(rng) * 0.1f};
    f.lip_ratio = 0.05f + std::abs(u(rng)) * 0.5f;
    std::vector<cv::Point2f> lm(68);
    for (auto& p : lm) p = {256 + u(rng) * 200, 256 + u(rng) * 200};
    f.landmarks = lm;
    MotionKeypoints k;
    k.pitch = u(rng) * 20;
    k.yaw = u(rng) * 30;
    k.roll = u(rng) * 10;
    k.scale = 1.5f + u(rng) * 0.1f;
    k.t = std::vector<float>{u(rng) * 0.1f, u(rng) * 0.1f, 0.f};
    for (int j = 0; j < 63; ++j) {
      k.exp.push_back(u(rng) * 0.05f);
      k.kp.push_back(u(rng));
    }
    k.exp[5] = 1e-30f;  // tiny and awkward values survive too
    k.kp[7] = -3.4028e38f;
    f.keypoints = k;
    c.frames.push_back(f);
  }
  return c;
}

std::string load_error(const fs::path& p) {
  std::string err;
  EXPECT_FALSE(load_motion_file(p.string(), &err).has_value());
  return err;
}
}  // namespace

TEST(MotionFile, RoundTripIsBitExact) {
  const fs::path p = test::scratch_dir() / "d10_motion.json";
  const MotionClip clip = make_clip(12);
  std::string err;
  ASSERT_TRUE(save_motion_file(p.string(), clip, &err)) << err;
  auto back = load_motion_file(p.string(), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(back->fps, 30.0);
  EXPECT_EQ(back->source_video, "d10.mp4");
  EXPECT_EQ(back->engine, "neural");
  ASSERT_EQ(back->frames.size(), clip.frames.size());
  for (std::size_t i = 0; i < clip.frames.size(); ++i) {
    const MotionFrame &a = clip.frames[i], &b = back->frames[i];
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.time_s, b.time_s);
    EXPECT_EQ(*a.eye_ratio, *b.eye_ratio);
    EXPECT_EQ(*a.lip_ratio, *b.lip_ratio);
    ASSERT_EQ(a.landmarks->size(), b.landmarks->size());
    for (std::size_t j = 0; j < a.landmarks->size(); ++j) EXPECT_EQ((*a.landmarks)[j], (*b.landmarks)[j]);
    EXPECT_EQ(a.keypoints->pitch, b.keypoints->pitch);
    EXPECT_EQ(a.keypoints->yaw, b.keypoints->yaw);
    EXPECT_EQ(a.keypoints->roll, b.keypoints->roll);
    EXPECT_EQ(a.keypoints->scale, b.keypoints->scale);
    EXPECT_EQ(a.keypoints->t, b.keypoints->t);
    EXPECT_EQ(a.keypoints->exp, b.keypoints->exp);
    EXPECT_EQ(a.keypoints->kp, b.keypoints->kp);
  }
}

TEST(MotionFile, LandmarksOnlyClipForTheClassicEngine) {
  const fs::path p = test::scratch_dir() / "classic.json";
  MotionClip clip = make_clip(3);
  clip.engine = "classic";
  for (auto& f : clip.frames) f.keypoints.reset();
  std::string err;
  ASSERT_TRUE(save_motion_file(p.string(), clip, &err)) << err;
  auto back = load_motion_file(p.string(), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_FALSE(back->frames[0].keypoints.has_value());
  EXPECT_TRUE(back->frames[2].landmarks.has_value());
}

// Frames recorded while the face was lost hold no motion; they load (and
// replay as a lost face). A clip in which no frame holds motion is refused.
TEST(MotionFile, FramesWithoutAFaceLoadButAClipWithoutAnyIsRefused) {
  const fs::path p = test::scratch_dir() / "gaps.json";
  MotionClip clip = make_clip(4);
  clip.engine = "classic";
  for (auto& f : clip.frames) f.keypoints.reset();
  for (int i : {0, 2}) {
    clip.frames[i].landmarks.reset();
    clip.frames[i].eye_ratio.reset();
    clip.frames[i].lip_ratio.reset();
  }
  std::string err;
  ASSERT_TRUE(save_motion_file(p.string(), clip, &err)) << err;
  auto back = load_motion_file(p.string(), &err);
  ASSERT_TRUE(back) << err;
  ASSERT_EQ(back->frames.size(), 4u);
  EXPECT_FALSE(back->frames[0].landmarks.has_value());
  EXPECT_TRUE(back->frames[1].landmarks.has_value());
  EXPECT_FALSE(back->frames[2].landmarks.has_value());
  for (int i : {1, 3}) {
    clip.frames[i].landmarks.reset();
    clip.frames[i].eye_ratio.reset();
    clip.frames[i].lip_ratio.reset();
  }
  ASSERT_TRUE(save_motion_file(p.string(), clip, &err)) << err;
  const std::string e = load_error(p);
  EXPECT_NE(e.find("no frame holds motion"), std::string::npos) << e;
}

TEST(MotionFile, BadFilesNameTheFileAndTheProblem) {
  const fs::path dir = test::scratch_dir();
  auto write = [&](const char* name, const std::string& text) {
    const fs::path p = dir / name;
    std::ofstream(p) << text;
    return p;
  };
  const fs::path not_json = write("garbage.json", "{ this is not json");
  std::string e = load_error(not_json);
  EXPECT_NE(e.find(not_json.string()), std::string::npos) << e;
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;

  const fs::path other = write("settings.json", R"({"window": {"w": 800}})");
  e = load_error(other);
  EXPECT_NE(e.find(other.string()), std::string::npos) << e;
  EXPECT_NE(e.find("not a LivePuppet motion file"), std::string::npos) << e;

  const fs::path future = write("future.json", R"({"format": "livepuppet-motion", "version": 99, "fps": 30, "frames": []})");
  e = load_error(future);
  EXPECT_NE(e.find("version 99"), std::string::npos) << e;

  const fs::path missing = dir / "missing.json";
  e = load_error(missing);
  EXPECT_NE(e.find(missing.string()), std::string::npos) << e;

  // A valid file with frame 1 damaged (t has 2 values).
  const fs::path good = dir / "good.json";
  std::string err;
  ASSERT_TRUE(save_motion_file(good.string(), make_clip(3), &err)) << err;
  std::ifstream in(good);
  std::string text{std::istreambuf_iterator<char>(in), {}};
  nlohmann::json j = nlohmann::json::parse(text);
  j["frames"][1]["keypoints"]["t"] = {0.1, 0.2};
  const fs::path damaged = write("damaged.json", j.dump());
  e = load_error(damaged);
  EXPECT_NE(e.find(damaged.string()), std::string::npos) << e;
  EXPECT_NE(e.find("frame 1"), std::string::npos) << e;
  EXPECT_NE(e.find("'t'"), std::string::npos) << e;

  // Cut short: the JSON no longer parses.
  const fs::path cut = write("cut.json", text.substr(0, text.size() / 2));
  e = load_error(cut);
  EXPECT_NE(e.find(cut.string()), std::string::npos) << e;

  // Numbers JSON allows but a float cannot hold (they would animate a black
  // frame): frame 2's expression with 1e300, a frame rate of 1e-6.
  nlohmann::json huge = nlohmann::json::parse(text);
  huge["frames"][2]["keypoints"]["exp"][0] = 1e300;
  const fs::path inf_file = write("huge.json", huge.dump());
  e = load_error(inf_file);
  EXPECT_NE(e.find(inf_file.string()), std::string::npos) << e;
  EXPECT_NE(e.find("frame 2"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  nlohmann::json slow = nlohmann::json::parse(text);
  slow["fps"] = 1e-6;
  const fs::path slow_file = write("slow.json", slow.dump());
  e = load_error(slow_file);
  EXPECT_NE(e.find("'fps'"), std::string::npos) << e;
  // What is saved can be read: a slideshow's 0.5 fps both ways, 1e-6 neither.
  MotionClip half = make_clip(2);
  half.fps = 0.5;
  const fs::path half_file = dir / "half.json";
  ASSERT_TRUE(save_motion_file(half_file.string(), half, &err)) << err;
  EXPECT_TRUE(load_motion_file(half_file.string(), &err)) << err;
  half.fps = 1e-6;
  EXPECT_FALSE(save_motion_file(half_file.string(), half, &err));
  EXPECT_NE(err.find("frame rate"), std::string::npos) << err;
}
