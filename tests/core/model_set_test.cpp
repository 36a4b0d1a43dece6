// Model-folder validation: every broken folder gives one clear error that names
// the bad file (the app shows it when it falls back to the classic engine).
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <regex>

#include "core/model_set.h"
#include "test_support.h"
#include "tiny_models.h"

namespace {

namespace fs = std::filesystem;

std::string load_error(const fs::path& dir, const lp::ModelSetOptions& opt = {}) {
  try {
    lp::ModelSet::load(dir, opt);
  } catch (const lp::ModelSetError& e) {
    return e.what();
  }
  return "";
}

void replace_in_file(const fs::path& p, const std::string& from, const std::string& to) {
  std::ifstream in(p);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const auto pos = s.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  s.replace(pos, from.size(), to);
  std::ofstream(p) << s;
}

TEST(ModelSet, LoadsAValidFolderOnCpuInFp32) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  lp::ModelSetOptions opt;
  opt.device = "cpu";
  const auto set = lp::ModelSet::load(dir, opt);
  EXPECT_TRUE(set->device().is_cpu());
  EXPECT_EQ(set->precision(), lp::Precision::Fp32);
  EXPECT_EQ(set->manifest().weights, "random-init");
  EXPECT_EQ(set->manifest().seed.value_or(-1), 1);
  EXPECT_NE(set->describe().find("cpu fp32"), std::string::npos);
  const auto out = set->forward(lp::ModelId::MotionExtractor, {torch::rand({2, 3, 256, 256})});
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out[0].sizes(), (std::vector<int64_t>{2, 66}));
}

TEST(ModelSet, Fp16OnCpuFallsBackToFp32AndSaysSo) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  lp::ModelSetOptions opt;
  opt.device = "cpu";
  opt.precision = "fp16";
  const auto set = lp::ModelSet::load(dir, opt);
  EXPECT_EQ(set->precision(), lp::Precision::Fp32);
  EXPECT_NE(set->notes().find("fp16"), std::string::npos);
  opt.precision = "fp64";
  EXPECT_NE(load_error(dir, opt).find("unknown precision"), std::string::npos);
}

TEST(ModelSet, MissingFolderOrManifestIsNamed) {
  const auto dir = lp::test::scratch_dir();
  EXPECT_NE(load_error(dir / "nowhere").find("nowhere: model folder not found"), std::string::npos);
  const auto err = load_error(dir);
  EXPECT_NE(err.find("manifest.json: missing"), std::string::npos) << err;
}

TEST(ModelSet, BadJsonNamesTheManifest) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  std::ofstream(dir / "manifest.json") << "{\"format\": \"livepuppet-torchscript\", ";
  const auto err = load_error(dir);
  EXPECT_NE(err.find("manifest.json: not valid JSON"), std::string::npos) << err;
}

TEST(ModelSet, WrongFormatVersionOrMissingModuleIsNamed) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  replace_in_file(dir / "manifest.json", "\"format_version\": 1", "\"format_version\": 7");
  auto err = load_error(dir);
  EXPECT_NE(err.find("manifest.json: format_version 7 is not supported"), std::string::npos) << err;
  lp::test::write_tiny_model_set(dir);
  replace_in_file(dir / "manifest.json", "\"retarget_lip\":", "\"retarget_mouth\":");
  err = load_error(dir);
  EXPECT_NE(err.find("no entry for module \"retarget_lip\""), std::string::npos) << err;
}

TEST(ModelSet, MissingFileIsNamed) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  fs::remove(dir / "warping_module.pt");
  const auto err = load_error(dir);
  EXPECT_NE(err.find("warping_module.pt: missing"), std::string::npos) << err;
}

TEST(ModelSet, TruncatedFileIsNamed) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  fs::resize_file(dir / "spade_generator.pt", fs::file_size(dir / "spade_generator.pt") / 2);
  const auto err = load_error(dir);
  EXPECT_NE(err.find("spade_generator.pt: size is"), std::string::npos) << err;
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
  // check_files sees the same without loading TorchScript.
  EXPECT_THROW(lp::ModelSet::check_files(dir), lp::ModelSetError);
}

TEST(ModelSet, CorruptFileIsNamed) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  const auto size = fs::file_size(dir / "motion_extractor.pt");
  {
    std::ofstream out(dir / "motion_extractor.pt", std::ios::binary | std::ios::trunc);
    out << std::string(size, 'x');  // same size as the manifest says, garbage content
  }
  const auto err = load_error(dir);
  EXPECT_NE(err.find("motion_extractor.pt: not a loadable TorchScript file"), std::string::npos) << err;
}

TEST(ModelSet, WrongArityIsNamed) {
  const auto dir = lp::test::scratch_dir() / "models";
  // A warping module that forgot kp_driving.
  lp::test::write_tiny_model_set(
      dir, {{"warping_module", "def forward(self, feature_3d, kp_source):\n    return (kp_source, kp_source, kp_source)\n"}});
  auto err = load_error(dir);
  EXPECT_NE(err.find("warping_module.pt: forward takes 2 input(s), manifest.json lists 3"), std::string::npos) << err;
  // A motion extractor with too few outputs.
  lp::test::write_tiny_model_set(dir, {{"motion_extractor", "def forward(self, image):\n    return (image, image)\n"}});
  err = load_error(dir);
  EXPECT_NE(err.find("motion_extractor.pt: forward returns 2 output(s)"), std::string::npos) << err;
}

// Weights that are not numbers would render black frames: the file is named
// at load.
TEST(ModelSet, NonFiniteWeightsAreNamed) {
  const auto dir = lp::test::scratch_dir() / "models";
  torch::Tensor w = torch::ones({63});
  w[5] = std::numeric_limits<float>::quiet_NaN();
  lp::test::write_tiny_model_set(
      dir, {{"stitching", "def forward(self, x):\n    return torch.cat([x[:, 0:63] * self.w, x[:, 63:65]], 1)\n"}},
      {{"stitching", w}});
  const auto err = load_error(dir);
  EXPECT_NE(err.find("stitching.pt: holds weights that are not finite"), std::string::npos) << err;
}

// The three small MLPs have the same signature; a file copied under the wrong
// name is caught by its width at load, not at the first frame.
TEST(ModelSet, MlpOfTheWrongWidthIsNamed) {
  const auto dir = lp::test::scratch_dir() / "models";
  // An eye MLP (66 inputs) saved as retarget_lip.pt (65 inputs).
  lp::test::write_tiny_model_set(
      dir, {{"retarget_lip", "def forward(self, x):\n    return torch.matmul(x, self.w)\n"}},
      {{"retarget_lip", torch::zeros({66, 63})}});
  const auto err = load_error(dir);
  EXPECT_NE(err.find("retarget_lip.pt: does not take retarget_lip's input of 65 values"), std::string::npos) << err;
}

TEST(ModelSet, TryLoadReportsInsteadOfThrowing) {
  const auto dir = lp::test::scratch_dir();
  std::string error;
  EXPECT_EQ(lp::ModelSet::try_load(dir, {}, &error), nullptr);
  EXPECT_NE(error.find("manifest.json"), std::string::npos) << error;
}

TEST(ModelSet, UnknownDeviceIsRejected) {
  EXPECT_THROW(lp::resolve_device("tpu"), std::invalid_argument);
  EXPECT_TRUE(lp::resolve_device("cpu").is_cpu());
}

}  // namespace
