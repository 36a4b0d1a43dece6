// The neural engine inside the session and the offline render, on the
// exported seed-1 models (random weights: the faces are noise, the plumbing
// is real): selection, fallback with a reason, motion templates.
#include "ffprobe_probe.h"
#include "media/video_source.h"
#include "core/model_set.h"
#include "session/neural_engine.h"
#include "session/session.h"
#include "test_support.h"
#include "vision/face_detector.h"
#include "vision/openness.h"

#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <fstream>

using namespace lp;
using lp::test::run_command;
using lp::test::shell_quote;

namespace {

std::filesystem::path models_dir() { return lp::test::binary_dir() / "models-seed1"; }

#define LP_REQUIRE_MODELS()                                                                         \
  do {                                                                                              \
    if (!std::filesystem::exists(models_dir() / "manifest.json"))                                   \
      GTEST_SKIP() << "needs the exported seed-1 models at " << models_dir().string()               \
                   << " (ctest fixture lp_models_seed1, which needs ../shared)";                    \
  } while (0)

std::string join(const std::vector<SessionMessage>& msgs) {
  std::string s;
  for (const auto& m : msgs) s += m.text + "\n";
  return s;
}

}  // namespace

TEST(NeuralSession, AnimatesTheSourceCropWithTheNeuralEngine) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_MODELS();
  SessionConfig cfg;
  cfg.models_dir = models_dir().string();
  Session s(cfg);
  Parameters p;
  p.engine = EngineKind::Neural;
  p.device = "cpu";
  s.set_parameters(p);
  s.open_source(lp::test::media("s42.jpg").string());
  ASSERT_TRUE(s.wait_source_idle(300)) << join(s.take_messages());
  std::shared_ptr<const AnimatedFrame> f;
  std::uint64_t seq = 0;
  for (int i = 0; i < 10 && !(f && !f->crop_rgb.empty()); ++i) {
    f = s.wait_for_output(seq, 120);
    ASSERT_NE(f, nullptr) << join(s.take_messages());
    seq = f->seq;
  }
  ASSERT_FALSE(f->crop_rgb.empty()) << join(s.take_messages());
  EXPECT_EQ(f->crop_rgb.size(), cv::Size(512, 512));
  EXPECT_EQ(f->engine_name, "Neural (LivePortrait)");
  EXPECT_TRUE(s.stats().neural_available);
}

TEST(NeuralSession, BrokenModelFolderFallsBackToClassicAndSaysWhy) {
  LP_REQUIRE_SHARED("media/s42.jpg");
  LP_REQUIRE_MODELS();
  // A copy of the folder whose warping module is cut short.
  const auto dir = lp::test::scratch_dir() / "models";
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(models_dir()))
    std::filesystem::copy(e.path(), dir / e.path().filename());
  std::filesystem::resize_file(dir / "warping_module.pt", 1000);
  EXPECT_NE(neural_models_status(dir.string()).find("warping_module.pt"), std::string::npos);
  SessionConfig cfg;
  cfg.models_dir = dir.string();
  Session s(cfg);
  Parameters p;
  p.engine = EngineKind::Neural;
  p.device = "cpu";
  s.set_parameters(p);
  s.open_source(lp::test::media("s42.jpg").string());
  ASSERT_TRUE(s.wait_source_idle(120));
  auto msgs = s.take_messages();
  EXPECT_NE(join(msgs).find("warping_module.pt"), std::string::npos) << join(msgs);
  auto f = s.wait_for_output(0, 30);
  ASSERT_NE(f, nullptr);
  auto g = s.wait_for_output(f->seq, 30);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->engine_name, "Classic (mesh warp)");
  EXPECT_FALSE(s.stats().neural_available);
  EXPECT_NE(s.stats().neural_unavailable_reason.find("warping_module.pt"), std::string::npos);

  // Dragging the crop slider re-prepares the portrait, but the failure is
  // said once, not once per slider step.
  for (float scale : {2.4f, 2.5f, 2.6f}) {
    p.source_crop.scale = scale;
    s.set_parameters(p);
    auto h = s.wait_for_output(0, 30);
    ASSERT_NE(h, nullptr);
    s.wait_for_output(h->seq, 30);
    ASSERT_TRUE(s.wait_source_idle(120));
  }
  msgs = s.take_messages();
  EXPECT_EQ(join(msgs).find("Neural engine unavailable"), std::string::npos) << join(msgs);

  // The models are exported again while the app runs: choosing Classic, then
  // Neural, loads them; no restart.
  std::filesystem::copy_file(models_dir() / "warping_module.pt", dir / "warping_module.pt",
                             std::filesystem::copy_options::overwrite_existing);
  p.engine = EngineKind::Classic;
  s.set_parameters(p);
  for (int i = 0; i < 3; ++i) ASSERT_NE(s.wait_for_output(0, 30), nullptr);
  auto c = s.wait_for_output(0, 30);
  ASSERT_NE(c, nullptr);
  s.wait_for_output(c->seq, 30);
  p.engine = EngineKind::Neural;  // same device and precision: only the Classic step allows the retry
  s.set_parameters(p);
  std::shared_ptr<const AnimatedFrame> n;
  std::uint64_t seq = 0;
  for (int i = 0; i < 40 && !(n && n->engine_name == "Neural (LivePortrait)"); ++i) {
    n = s.wait_for_output(seq, 120);
    ASSERT_NE(n, nullptr) << join(s.take_messages());
    seq = n->seq;
    s.wait_source_idle(300);
  }
  EXPECT_EQ(n->engine_name, "Neural (LivePortrait)") << join(s.take_messages());
  EXPECT_TRUE(s.stats().neural_available);
}

// A neural motion template (keypoint parameters) replays the same frames.
TEST(NeuralSession, MotionTemplateReplaysTheSameFrames) {
  LP_REQUIRE_SHARED("media/d10.mp4");
  LP_REQUIRE_MODELS();
  const auto dir = lp::test::scratch_dir();
  const std::string base = std::string(LIVEPUPPET_CLI) + " render --quiet --engine neural --device cpu --models " +
                           shell_quote(models_dir().string()) + " --source " +
                           shell_quote(lp::test::media("s42.jpg").string());
  const auto motion = dir / "m.json", direct = dir / "direct.mp4", replay = dir / "replay.mp4";
  int st = -1;
  std::string out = run_command(base + " --driving " + shell_quote(lp::test::media("d10.mp4").string()) +
                                    " --frames 2 --precision fp16 --save-motion " + shell_quote(motion.string()) +
                                    " --out " + shell_quote(direct.string()) + " 2>&1",
                                &st);
  ASSERT_EQ(st, 0) << out;
  // fp16 on the CPU runs in fp32 (no fast half convolutions there), and says so.
  EXPECT_NE(out.find("note: fp16 asked for on the CPU"), std::string::npos) << out;
  std::ifstream in(motion);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("\"keypoints\""), std::string::npos);
  out = run_command(base + " --driving " + shell_quote(motion.string()) + " --out " + shell_quote(replay.string()) +
                        " 2>&1",
                    &st);
  ASSERT_EQ(st, 0) << out;
  std::string e;
  auto a = VideoSource::open(direct.string(), &e), b = VideoSource::open(replay.string(), &e);
  ASSERT_TRUE(a && b) << e;
  VideoFrame fa, fb;
  int n = 0;
  while (a->read(fa) == ReadStatus::Frame) {
    ASSERT_EQ(b->read(fb), ReadStatus::Frame);
    EXPECT_GT(cv::PSNR(fa.image, fb.image), 50.0) << "frame " << n;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

// The driving crop on the models' device (what the app does on CUDA: the frame
// goes up whole, the crop runs there) gives the same animation as OpenCV's
// crop on the CPU. Run here on the CPU device, the same code path.
TEST(NeuralSession, DeviceCropMatchesOpenCvCrop) {
  LP_REQUIRE_SHARED("media/d10.mp4");
  LP_REQUIRE_MODELS();
  FaceDetector detector;
  ASSERT_TRUE(detector.ready()) << detector.load_error();
  ModelSetOptions mo;
  mo.device = "cpu";
  auto source = std::make_shared<SourceImage>();
  source->path = lp::test::media("s42.jpg").string();
  source->bgr = cv::imread(source->path);
  const DetectionResult sd = detector.detect(source->bgr);
  ASSERT_TRUE(sd.ok()) << sd.message;
  source->faces = sd.faces;
  std::string e;
  auto video = VideoSource::open(lp::test::media("d10.mp4").string(), &e);
  ASSERT_TRUE(video) << e;
  std::vector<DrivingSample> samples;
  VideoFrame vf;
  for (int i = 0; i < 2 && video->read(vf) == ReadStatus::Frame; ++i) {
    const DetectionResult r = detector.detect(vf.image);
    ASSERT_TRUE(r.ok()) << "frame " << i << ": " << r.message;
    DrivingSample d;
    d.bgr = vf.image.clone();
    d.face = r.largest();
    d.openness = compute_openness(r.largest().landmarks);
    d.time_s = vf.time_s;
    d.new_stream = i == 0;
    samples.push_back(d);
  }
  ASSERT_EQ(samples.size(), 2u);
  Parameters p;
  std::vector<cv::Mat> frames[2];
  for (int device_crop = 0; device_crop < 2; ++device_crop) {
    NeuralEngine engine(ModelSet::load(models_dir(), mo));
    EXPECT_FALSE(engine.device_crop()) << "the CPU device should default to OpenCV's crop";
    engine.set_device_crop(device_crop == 1);
    EXPECT_EQ(engine.device_crop(), device_crop == 1);
    auto prepared = engine.prepare(source, 0, p);
    for (const DrivingSample& d : samples) frames[device_crop].push_back(engine.animate(*prepared, d, p).crop_rgb);
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ(frames[1][i].size(), cv::Size(512, 512));
    const double psnr = cv::PSNR(frames[0][i], frames[1][i]);
    std::printf("frame %zu: device crop vs OpenCV crop PSNR %.1f dB\n", i, psnr);
    EXPECT_GT(psnr, 35.0) << "frame " << i;
  }
  // And the second frame is not the first again (the crop followed the face).
  EXPECT_LT(cv::PSNR(frames[1][0], frames[1][1]), 60.0);
}
