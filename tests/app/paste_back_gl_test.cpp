// The GL paste-back shader against its CPU oracle (engine/vision paste_back):
// an off-screen render in a hidden window under Xvfb must match to > 40 dB.
#include "gl/paste_back_pass.h"
#include "gl/shader_program.h"
#include "test_support.h"
#include "vision/crop_transform.h"
#include "vision/face_detector.h"
#include "vision/paste_back.h"

#include <GLFW/glfw3.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

namespace {

// A hidden OpenGL 3.3 core context for the duration of a test.
class HiddenGlContext {
 public:
  HiddenGlContext() {
    if (!glfwInit()) return;
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    window_ = glfwCreateWindow(64, 64, "test", nullptr, nullptr);
    if (window_) glfwMakeContextCurrent(window_);
  }
  ~HiddenGlContext() {
    if (window_) glfwDestroyWindow(window_);
    glfwTerminate();
  }
  bool ok() const { return window_ != nullptr; }

 private:
  GLFWwindow* window_ = nullptr;
};

}  // namespace

TEST(PasteBackGl, MatchesCpuOracle) {
  LP_REQUIRE_SHARED("media/s1.jpg");
  HiddenGlContext ctx;
  if (!ctx.ok()) GTEST_SKIP() << "no OpenGL 3.3 context (run under xvfb-run)";
  cv::Mat src = cv::imread(lp::test::media("s1.jpg").string());
  lp::FaceDetector det;
  auto d = det.detect(src);
  ASSERT_TRUE(d.ok());
  lp::FaceCrop crop = lp::crop_face(src, d.largest().landmarks, lp::CropParams::source());
  ASSERT_TRUE(crop.ok());
  // An "animated" crop that differs visibly from the source: colours inverted
  // and a drawn shape, so a wrong transform or mask cannot pass.
  cv::Mat animated = cv::Scalar(255, 255, 255) - crop.crop512;
  cv::circle(animated, {256, 300}, 60, cv::Scalar(0, 0, 255), -1);

  lp::PasteBackResult cpu = lp::paste_back(animated, crop.transform, src);
  ASSERT_TRUE(cpu.ok()) << cpu.error;

  lp::gl::PasteBackPass pass;
  ASSERT_TRUE(pass.init()) << pass.error();
  pass.set_mask(lp::make_paste_back_mask(512, 16));
  lp::gl::Texture src_tex, crop_tex;
  src_tex.upload(src, true);
  crop_tex.upload(animated, true);
  lp::gl::RenderTarget target;
  pass.render(src_tex, crop_tex, crop.transform.M_c2o, target);
  cv::Mat gl = target.read_bgr();
  ASSERT_EQ(gl.size(), src.size());
  const double psnr = cv::PSNR(gl, cpu.image);
  std::printf("paste-back GL vs CPU: PSNR %.2f dB\n", psnr);
  EXPECT_GT(psnr, 40.0);
  // And the paste actually changed the face region.
  EXPECT_LT(cv::PSNR(gl, src), 30.0);
}

TEST(ShaderProgram, CompileErrorNamesFileAndLine) {
  HiddenGlContext ctx;
  if (!ctx.ok()) GTEST_SKIP() << "no OpenGL 3.3 context (run under xvfb-run)";
  const auto dir = lp::test::scratch_dir();
  std::ofstream(dir / "ok.vert") << "#version 330 core\nvoid main() { gl_Position = vec4(0.0); }\n";
  std::ofstream(dir / "broken.frag") << "#version 330 core\nout vec4 c;\nvoid main() {\n  c = vec4(oops);\n}\n";
  setenv("LIVEPUPPET_SHADER_DIR", dir.c_str(), 1);
  lp::gl::ShaderProgram p;
  EXPECT_FALSE(p.load("ok.vert", "broken.frag"));
  unsetenv("LIVEPUPPET_SHADER_DIR");
  EXPECT_NE(p.error().find("broken.frag:4"), std::string::npos) << p.error();
}
