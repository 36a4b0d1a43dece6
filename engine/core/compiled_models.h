#pragma once
// AOTInductor packages of F, M, W and G (models/export_compiled.py): the same
// networks as the TorchScript files of a model folder, compiled ahead of time by
// TorchInductor for one GPU architecture and one PyTorch version, in fp16 at
// fixed batch sizes (1, and optionally larger ones for the throughput mode).
// ModelSet runs them instead of the TorchScript modules where they fit (GPU
// performance issue); everything else keeps using TorchScript.
//
// The manifest checks below are plain C++ and run everywhere; loading and
// running a package needs LibTorch >= 2.6 (LIVEPUPPET_HAVE_AOTI), so Debian's
// LibTorch 1.13 builds report the packages as unusable and carry on.
#include <torch/types.h>

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/model_set.h"

namespace lp {

struct CompiledEntry {
  std::string file;         // e.g. "spade_generator.pt2", inside DIR/compiled
  int64_t bytes = 0;
  std::string source_file;  // the TorchScript file it was compiled from
  int64_t source_bytes = 0;
};

// The packages compiled at one batch size, indexed by ModelId.
struct CompiledBatch {
  int64_t batch = 0;
  std::array<bool, kNumModels> present{};
  std::array<CompiledEntry, kNumModels> modules;
};

struct CompiledManifest {
  int64_t format_version = 0;
  std::string torch_version;       // e.g. "2.11.0"
  std::string device_name;         // e.g. "NVIDIA H100 80GB HBM3"
  std::string compute_capability;  // e.g. "9.0"
  std::string precision;           // "fp16"
  int64_t batch = 0;
  std::string models_created_utc;  // created_utc of the TorchScript manifest it was built from
  std::array<bool, kNumModels> present{};  // indexed by ModelId
  std::array<CompiledEntry, kNumModels> modules;
  // Optional: the per-frame networks (M, W, G) compiled again at larger batch
  // sizes for the throughput mode (export_compiled.py --batch B), ascending.
  std::vector<CompiledBatch> batches;
  const CompiledBatch* find_batch(int64_t b) const;

  // Reads DIR/compiled/manifest.json. Throws ModelSetError naming that file.
  static CompiledManifest read(const std::filesystem::path& models_dir);
};

// What the running process offers: LibTorch version, CUDA device capability.
struct CompiledRuntime {
  bool aoti_available = false;    // built with the AOTInductor package loader
  std::string torch_version;      // e.g. "2.11.0"
  std::string compute_capability; // of the device the models run on; "" on the CPU
  Precision precision = Precision::Fp32;
};
CompiledRuntime current_compiled_runtime(torch::Device device, Precision precision);

// Why the packages described by `compiled` cannot serve this model folder in
// this runtime ("" when they can): another PyTorch, another GPU architecture,
// another precision, a re-exported TorchScript folder, a missing or resized file.
std::string compiled_mismatch(const CompiledManifest& compiled, const ModelManifest& models,
                              const std::filesystem::path& models_dir, const CompiledRuntime& runtime);
// Why the extra packages of batch `b` cannot be used ("" when they can), given
// that the batch-1 ones fit (compiled_mismatch() == ""): not compiled, or a
// package missing, resized or compiled from other TorchScript files.
std::string compiled_batch_mismatch(const CompiledManifest& compiled, int64_t b, const ModelManifest& models,
                                    const std::filesystem::path& models_dir);

class CompiledModels {
 public:
  // Loads the batch-1 packages listed in DIR/compiled/manifest.json, plus those
  // of `extra_batches` that the manifest has (each costs another copy of M, W
  // and G's weights in VRAM, so only on request). Returns nullptr and sets
  // *status to the reason when the folder is absent or does not fit; on success
  // *status says what runs compiled (for the bench and the status bar),
  // including requested batches that are not available and why.
  static std::unique_ptr<CompiledModels> load(const std::filesystem::path& models_dir, const ModelManifest& models,
                                              torch::Device device, Precision precision,
                                              const std::vector<int64_t>& extra_batches, std::string* status);
  ~CompiledModels();

  bool has(ModelId id, int64_t batch) const;
  // Runs the package of `id` for the inputs' batch size on the current CUDA
  // stream (CUDA-graph capturable). Inputs must already be on the device, in
  // fp16, contiguous, at a batch size that has(id, batch).
  std::vector<torch::Tensor> run(ModelId id, const std::vector<torch::Tensor>& inputs);

 private:
  CompiledModels() = default;
  struct Runner;
  using Runners = std::array<std::unique_ptr<Runner>, kNumModels>;
  std::map<int64_t, Runners> runners_;  // by batch size
};

}  // namespace lp
