#pragma once
// The exported LivePortrait TorchScript folder (see models/export_torchscript.py
// and the model contract): validation against manifest.json, loading onto a
// device at a precision, and typed forward calls.
#include <torch/script.h>

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lp {

// Everything that can go wrong with a model folder: one message naming the file
// and the reason, fit to show to a user when the app falls back to the classic
// engine ("<file>: <reason>").
class ModelSetError : public std::runtime_error {
 public:
  ModelSetError(const std::string& file, const std::string& reason)
      : std::runtime_error(file + ": " + reason), file_(file), reason_(reason) {}
  const std::string& file() const { return file_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_, reason_;
};

enum class ModelId {
  AppearanceFeatureExtractor = 0,  // F
  MotionExtractor,                 // M
  WarpingModule,                   // W
  SpadeGenerator,                  // G
  Stitching,                       // stitching MLP
  RetargetEye,                     // eye retargeting MLP
  RetargetLip,                     // lip retargeting MLP
};
constexpr int kNumModels = 7;
const char* model_name(ModelId id);  // manifest key, e.g. "motion_extractor"

enum class Precision { Fp32, Fp16 };
const char* precision_name(Precision p);

struct ModelSetOptions {
  std::string device = "auto";     // "auto" (CUDA when available, else CPU) | "cpu" | "cuda" | "cuda:N"
  std::string precision = "auto";  // "auto" (fp16 on CUDA, fp32 on CPU) | "fp32" | "fp16"
  // TorchScript freeze + optimize_for_inference on F, M, W, G after moving them to
  // the device and dtype (falls back to the plain module, with a note, if a pass fails).
  bool optimize = false;
  // CUDA only: 4-D weights of W and G in channels-last (NHWC) memory format and
  // G's input made channels-last, so that cuDNN runs its tensor-core kernels
  // without NCHW<->NHWC conversions around every convolution. Pays only with
  // models exported with --gpu-optimize (see models/export_optimizations.py).
  bool channels_last = false;
  // CUDA + fp16 only: run F, M, W and G from the AOTInductor packages in
  // DIR/compiled (models/export_compiled.py) where they fit this GPU, this
  // LibTorch and this folder, at the packages' batch size; TorchScript runs
  // everything else. compiled_status() says what was used and why not.
  bool compiled = true;
  // Batch sizes above 1 whose packages (M, W, G; export_compiled.py --batch B)
  // are loaded too, for the throughput mode (animate_batch with that many
  // frames). Each costs VRAM for another copy of their weights, so none by
  // default; a size the folder does not have is said in compiled_status().
  std::vector<int64_t> compiled_batches;
};

struct ModuleEntry {
  std::string name;   // manifest key
  std::string file;   // file name inside the folder
  int64_t bytes = 0;
  std::vector<std::string> inputs, outputs;  // names, in order
};

struct ModelManifest {
  int64_t format_version = 0;
  std::string torch_version, created_utc, weights;  // weights: "official" | "random-init"
  std::optional<int64_t> seed;
  // Graph rewrites applied at export (export_torchscript.py --gpu-optimize),
  // e.g. "instance_norm_channels_last": the channels-last fast path needs it.
  std::vector<std::string> export_rewrites;
  bool has_rewrite(const std::string& name) const {
    for (const auto& r : export_rewrites)
      if (r == name) return true;
    return false;
  }
  std::array<ModuleEntry, kNumModels> modules;  // indexed by ModelId

  // Reads and checks DIR/manifest.json (format, version, the seven modules with
  // file, bytes, inputs, outputs). Throws ModelSetError naming manifest.json.
  static ModelManifest read(const std::filesystem::path& dir);
};

class CompiledModels;  // core/compiled_models.h

class ModelSet {
 public:
  // Validates the folder (manifest, every file present with its byte size,
  // TorchScript loads, forward arity matches) and loads it. Throws ModelSetError.
  static std::shared_ptr<ModelSet> load(const std::filesystem::path& dir, const ModelSetOptions& options = {});
  // Same, without throwing: nullptr and *error set on failure.
  static std::shared_ptr<ModelSet> try_load(const std::filesystem::path& dir, const ModelSetOptions& options,
                                            std::string* error) noexcept;
  // Quick check without loading TorchScript (manifest + file sizes), e.g. to
  // decide at start-up whether a folder looks like a model set. Throws ModelSetError.
  static ModelManifest check_files(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const ModelManifest& manifest() const { return manifest_; }
  torch::Device device() const { return device_; }
  Precision precision() const { return precision_; }
  // dtype of F, M, W, G inputs (half in fp16); the MLPs and keypoint maths stay float32.
  torch::ScalarType compute_dtype() const { return precision_ == Precision::Fp16 ? torch::kHalf : torch::kFloat; }
  std::string describe() const;  // e.g. "cuda:0 fp16 (official weights)"
  const std::string& notes() const { return notes_; }  // e.g. why fp16 was not used
  const ModelSetOptions& options() const { return options_; }  // as given to load()
  // "F, M, W, G compiled (AOTInductor, sm_90, batch 1)", or why the folder's
  // compiled packages are not used ("not used: compiled for compute capability 8.9 ...").
  const std::string& compiled_status() const { return compiled_status_; }
  // Whether forward(id, ...) at this batch size runs a compiled package.
  bool runs_compiled(ModelId id, int64_t batch) const;

  // Forward of one module; inputs are moved to the module's device and dtype.
  // Returns the outputs (a tuple flattened, or a single tensor).
  std::vector<torch::Tensor> forward(ModelId id, const std::vector<torch::Tensor>& inputs);
  torch::jit::Module& module(ModelId id) { return modules_[static_cast<size_t>(id)]; }
  torch::ScalarType dtype_of(ModelId id) const;

 private:
  ModelSet() = default;
  std::filesystem::path dir_;
  ModelManifest manifest_;
  torch::Device device_ = torch::kCPU;
  Precision precision_ = Precision::Fp32;
  std::string notes_;
  ModelSetOptions options_;
  std::array<torch::jit::Module, kNumModels> modules_;
  std::shared_ptr<CompiledModels> compiled_;
  std::string compiled_status_ = "off";
};

// Shared by the TorchScript and the compiled manifests: parses `path` and checks
// its "format" and "format_version"; every failure is a ModelSetError naming the
// file (`missing` is the reason given when it does not exist, `redo` the advice
// for an unsupported version).
class JsonValue;
JsonValue read_manifest_json(const std::filesystem::path& path, const std::string& missing, const char* format,
                             int64_t format_version, const std::string& redo);
// A file name a manifest may list: no directory part, not "..".
bool is_plain_file_name(const std::string& name);

// Resolves "auto" | "cpu" | "cuda" | "cuda:N"; throws std::invalid_argument on
// anything else, and when CUDA is asked for but not available.
torch::Device resolve_device(const std::string& spec);

}  // namespace lp
