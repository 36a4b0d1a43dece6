// Compiled (AOTInductor) packages: a folder whose packages do not fit this
// build, GPU or export is explained and the TorchScript modules run instead;
// a broken compiled manifest names its file. (Running a package needs a CUDA
// GPU and LibTorch >= 2.6: that is measured on the GPU box, docs/PERFORMANCE.md.)
#include <gtest/gtest.h>

#include <fstream>

#include "core/compiled_models.h"
#include "core/model_set.h"
#include "test_support.h"
#include "tiny_models.h"

namespace {

namespace fs = std::filesystem;

// A compiled/manifest.json for the tiny set's G that fits an sm_90 fp16 runtime
// of LibTorch 2.11.0, with a 1234-byte package file beside it.
void write_compiled(const fs::path& dir, const std::string& manifest_override = "") {
  fs::create_directories(dir / "compiled");
  std::ofstream(dir / "compiled" / "spade_generator.pt2") << std::string(1234, 'x');
  const auto g_bytes = fs::file_size(dir / "spade_generator.pt");
  std::ofstream out(dir / "compiled" / "manifest.json");
  if (!manifest_override.empty()) {
    out << manifest_override;
    return;
  }
  out << "{\"format\": \"livepuppet-aoti\", \"format_version\": 1, \"torch_version\": \"2.11.0\",\n"
      << " \"device_name\": \"NVIDIA H100 80GB HBM3\", \"compute_capability\": \"9.0\", \"precision\": \"fp16\",\n"
      << " \"batch\": 1, \"models_created_utc\": \"2026-01-01T00:00:00Z\",\n"
      << " \"modules\": {\"spade_generator\": {\"file\": \"spade_generator.pt2\", \"bytes\": 1234,\n"
      << "   \"source_file\": \"spade_generator.pt\", \"source_bytes\": " << g_bytes << "}}}\n";
}

lp::CompiledRuntime h100_runtime() {
  lp::CompiledRuntime r;
  r.aoti_available = true;
  r.torch_version = "2.11.0";
  r.compute_capability = "9.0";
  r.precision = lp::Precision::Fp16;
  return r;
}

std::string read_error(const fs::path& dir) {
  try {
    lp::CompiledManifest::read(dir);
  } catch (const lp::ModelSetError& e) {
    return e.what();
  }
  return "";
}

TEST(CompiledModels, FittingPackagesAreAcceptedAndEachMismatchIsExplained) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  write_compiled(dir);
  const auto models = lp::ModelSet::check_files(dir);
  const auto compiled = lp::CompiledManifest::read(dir);
  EXPECT_TRUE(compiled.present[static_cast<size_t>(lp::ModelId::SpadeGenerator)]);
  EXPECT_FALSE(compiled.present[static_cast<size_t>(lp::ModelId::WarpingModule)]);
  EXPECT_EQ(compiled.batch, 1);
  EXPECT_EQ(lp::compiled_mismatch(compiled, models, dir, h100_runtime()), "");

  auto why = [&](lp::CompiledRuntime r) { return lp::compiled_mismatch(compiled, models, dir, r); };
  auto r = h100_runtime();
  r.torch_version = "2.12.0";
  EXPECT_NE(why(r).find("compiled with PyTorch 2.11.0, this build runs LibTorch 2.12.0"), std::string::npos) << why(r);
  r = h100_runtime();
  r.compute_capability = "8.9";
  EXPECT_NE(why(r).find("compute capability 9.0 (NVIDIA H100 80GB HBM3), this GPU is 8.9"), std::string::npos)
      << why(r);
  r = h100_runtime();
  r.precision = lp::Precision::Fp32;
  EXPECT_NE(why(r).find("they are fp16, the models run in fp32"), std::string::npos) << why(r);
  r = h100_runtime();
  r.compute_capability = "";
  EXPECT_NE(why(r).find("CUDA GPUs only"), std::string::npos) << why(r);
  r = h100_runtime();
  r.aoti_available = false;
  EXPECT_NE(why(r).find("no AOTInductor runtime"), std::string::npos) << why(r);

  // A truncated package, and a TorchScript folder exported again since.
  std::ofstream(dir / "compiled" / "spade_generator.pt2") << "short";
  EXPECT_NE(why(h100_runtime()).find("spade_generator.pt2 is 5 bytes"), std::string::npos) << why(h100_runtime());
  write_compiled(dir);
  auto reexported = models;
  reexported.created_utc = "2026-02-02T00:00:00Z";
  const std::string stale = lp::compiled_mismatch(compiled, reexported, dir, h100_runtime());
  EXPECT_NE(stale.find("the TorchScript files are from 2026-02-02T00:00:00Z"), std::string::npos) << stale;
  auto resized = models;
  resized.modules[static_cast<size_t>(lp::ModelId::SpadeGenerator)].bytes += 1;
  const std::string other = lp::compiled_mismatch(compiled, resized, dir, h100_runtime());
  EXPECT_NE(other.find("was compiled from spade_generator.pt of"), std::string::npos) << other;
}

// The throughput mode's packages: G compiled again at batch 4 beside the batch-1 one.
TEST(CompiledModels, LargerBatchPackagesAreListedCheckedAndExplainedWhenMissing) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  write_compiled(dir);
  std::ofstream(dir / "compiled" / "spade_generator.b4.pt2") << std::string(4321, 'x');
  const auto g_bytes = fs::file_size(dir / "spade_generator.pt");
  auto entry = [&](const std::string& file, int bytes) {
    return "{\"file\": \"" + file + "\", \"bytes\": " + std::to_string(bytes) +
           ", \"source_file\": \"spade_generator.pt\", \"source_bytes\": " + std::to_string(g_bytes) + "}";
  };
  auto manifest = [&](const std::string& batches) {
    return "{\"format\": \"livepuppet-aoti\", \"format_version\": 1, \"torch_version\": \"2.11.0\", "
           "\"compute_capability\": \"9.0\", \"precision\": \"fp16\", \"batch\": 1, "
           "\"models_created_utc\": \"2026-01-01T00:00:00Z\", \"modules\": {\"spade_generator\": " +
           entry("spade_generator.pt2", 1234) + "}, \"batches\": " + batches + "}";
  };
  write_compiled(dir, manifest("{\"4\": {\"modules\": {\"spade_generator\": " + entry("spade_generator.b4.pt2", 4321) +
                               "}}}"));
  const auto models = lp::ModelSet::check_files(dir);
  const auto compiled = lp::CompiledManifest::read(dir);
  ASSERT_EQ(compiled.batches.size(), 1u);
  EXPECT_EQ(compiled.batches[0].batch, 4);
  EXPECT_TRUE(compiled.batches[0].present[static_cast<size_t>(lp::ModelId::SpadeGenerator)]);
  EXPECT_FALSE(compiled.batches[0].present[static_cast<size_t>(lp::ModelId::MotionExtractor)]);
  EXPECT_EQ(lp::compiled_mismatch(compiled, models, dir, h100_runtime()), "");
  EXPECT_EQ(lp::compiled_batch_mismatch(compiled, 4, models, dir), "");
  const std::string none = lp::compiled_batch_mismatch(compiled, 16, models, dir);
  EXPECT_NE(none.find("none compiled (models/export_compiled.py --batch 16"), std::string::npos) << none;
  // A truncated batch-4 package is named; the batch-1 packages still fit.
  std::ofstream(dir / "compiled" / "spade_generator.b4.pt2") << "abc";
  const std::string cut = lp::compiled_batch_mismatch(compiled, 4, models, dir);
  EXPECT_NE(cut.find("spade_generator.b4.pt2 is 3 bytes"), std::string::npos) << cut;
  EXPECT_EQ(lp::compiled_mismatch(compiled, models, dir, h100_runtime()), "");
  // Batch sizes must be numbers above 1; a bad entry names the batch.
  write_compiled(dir, manifest("{\"1\": {\"modules\": {}}}"));
  EXPECT_NE(read_error(dir).find("\"batches\": \"1\" is not a batch size above 1"), std::string::npos) << read_error(dir);
  write_compiled(dir, manifest("{\"four\": {\"modules\": {}}}"));
  EXPECT_NE(read_error(dir).find("\"four\" is not a batch size above 1"), std::string::npos) << read_error(dir);
  write_compiled(dir, manifest("{\"4\": {\"modules\": {\"spade_generator\": {\"file\": \"g.pt2\"}}}}"));
  EXPECT_NE(read_error(dir).find("batch 4, module \"spade_generator\""), std::string::npos) << read_error(dir);
}

TEST(CompiledModels, BrokenCompiledManifestNamesItsFile) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  EXPECT_NE(read_error(dir).find("compiled/manifest.json: missing"), std::string::npos) << read_error(dir);
  write_compiled(dir, "{\"format\": \"livepuppet-aoti\", ");
  EXPECT_NE(read_error(dir).find("compiled/manifest.json: not valid JSON"), std::string::npos) << read_error(dir);
  write_compiled(dir, "{\"format\": \"livepuppet-torchscript\"}");
  EXPECT_NE(read_error(dir).find("\"format\" is not \"livepuppet-aoti\""), std::string::npos) << read_error(dir);
  write_compiled(dir,
                 "{\"format\": \"livepuppet-aoti\", \"format_version\": 1, \"torch_version\": \"2.11.0\", "
                 "\"compute_capability\": \"9.0\", \"precision\": \"fp16\", \"batch\": 1, \"modules\": "
                 "{\"spade_generator\": {\"file\": \"../x.pt2\", \"bytes\": 1, \"source_file\": \"spade_generator.pt\", "
                 "\"source_bytes\": 1}}}");
  EXPECT_NE(read_error(dir).find("file names must be plain, got \"../x.pt2\""), std::string::npos) << read_error(dir);
}

TEST(CompiledModels, ModelSetRunsTorchScriptAndSaysWhyWhenPackagesDoNotFit) {
  const auto dir = lp::test::scratch_dir() / "models";
  lp::test::write_tiny_model_set(dir);
  lp::ModelSetOptions opt;
  opt.device = "cpu";
  {
    const auto set = lp::ModelSet::load(dir, opt);
    EXPECT_NE(set->compiled_status().find("none in the model folder"), std::string::npos) << set->compiled_status();
  }
  write_compiled(dir);
  const auto set = lp::ModelSet::load(dir, opt);
  // On the CPU (and in a LibTorch without AOTInductor) the packages are not used.
  EXPECT_EQ(set->compiled_status().rfind("not used: ", 0), 0u) << set->compiled_status();
  EXPECT_FALSE(set->runs_compiled(lp::ModelId::SpadeGenerator, 1));
  EXPECT_EQ(set->describe().find("compiled"), std::string::npos);
  const auto out = set->forward(lp::ModelId::SpadeGenerator, {torch::rand({1, 256, 64, 64})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sizes(), (std::vector<int64_t>{1, 3, 512, 512}));
  // Switched off, it says so.
  opt.compiled = false;
  EXPECT_EQ(lp::ModelSet::load(dir, opt)->compiled_status(), "off");
}

}  // namespace
