#include "core/model_set.h"

#include <torch/cuda.h>

#include <system_error>
#include <cerrno>
#include <unistd.h>

#include "core/compiled_models.h"
#include "core/json_value.h"

namespace lp {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "livepuppet-torchscript";
constexpr int64_t kFormatVersion = 1;
constexpr std::array<const char*, kNumModels> kModelNames = {
    "appearance_feature_extractor", "motion_extractor", "warping_module", "spade_generator",
    "stitching",                    "retarget_eye",     "retarget_lip"};

std::vector<std::string> io_names(const JsonValue& list, const std::string& what) {
  std::vector<std::string> names;
  for (const auto& item : list.as_array()) {
    const JsonValue* n = item.is_object() ? item.find("name") : nullptr;
    if (!n || !n->is_string()) throw JsonError(what + " entry without a \"name\"");
    names.push_back(n->as_string());
  }
  return names;
}

}  // namespace

const char* model_name(ModelId id) { return kModelNames[static_cast<size_t>(id)]; }
const char* precision_name(Precision p) { return p == Precision::Fp16 ? "fp16" : "fp32"; }

JsonValue read_manifest_json(const fs::path& path, const std::string& missing, const char* format,
                             int64_t format_version, const std::string& redo) {
  const std::string file = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ModelSetError(file, "missing (" + missing + ")");
  JsonValue root;
  try {
    root = JsonValue::parse_file(file);
  } catch (const JsonError& e) {
    // parse_file's message starts with the path; keep only the reason.
    std::string what = e.what();
    if (what.rfind(file + ": ", 0) == 0) what = what.substr(file.size() + 2);
    throw ModelSetError(file, "not valid JSON (" + what + ")");
  }
  try {
    const JsonValue* fmt = root.find("format");
    if (!fmt || !fmt->is_string() || fmt->as_string() != format)
      throw ModelSetError(file, std::string("\"format\" is not \"") + format + "\"");
    const int64_t version = root.at("format_version").as_int();
    if (version != format_version)
      throw ModelSetError(file, "format_version " + std::to_string(version) + " is not supported (expected " +
                                    std::to_string(format_version) + "); " + redo);
  } catch (const JsonError& e) {
    throw ModelSetError(file, e.what());
  }
  return root;
}

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos && name.find('\\') == std::string::npos &&
         name != "..";
}

ModelManifest ModelManifest::read(const fs::path& dir) {
  const fs::path path = dir / "manifest.json";
  const std::string file = path.string();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw ModelSetError(dir.string(), fs::exists(dir, ec) ? "is a file, not a model folder" : "model folder not found");
  const JsonValue root = read_manifest_json(path, "not an exported model folder?", kFormat, kFormatVersion,
                                            "re-export the models");
  ModelManifest m;
  m.format_version = kFormatVersion;
  try {
    if (const JsonValue* v = root.find("torch_version"); v && v->is_string()) m.torch_version = v->as_string();
    if (const JsonValue* v = root.find("created_utc"); v && v->is_string()) m.created_utc = v->as_string();
    if (const JsonValue* v = root.find("weights"); v && v->is_string()) m.weights = v->as_string();
    if (const JsonValue* v = root.find("seed"); v && v->is_number()) m.seed = v->as_int();
    if (const JsonValue* v = root.find("export_rewrites"); v && v->is_array())
      for (const JsonValue& r : v->as_array())
        if (r.is_string()) m.export_rewrites.push_back(r.as_string());
    const JsonValue& mods = root.at("modules");
    if (!mods.is_object()) throw JsonError("\"modules\" is not an object");
    for (int i = 0; i < kNumModels; ++i) {
      const std::string name = kModelNames[static_cast<size_t>(i)];
      const JsonValue* e = mods.find(name);
      if (!e || !e->is_object()) throw ModelSetError(file, "no entry for module \"" + name + "\"");
      ModuleEntry& me = m.modules[static_cast<size_t>(i)];
      me.name = name;
      try {
        me.file = e->at("file").as_string();
        me.bytes = e->at("bytes").as_int();
        me.inputs = io_names(e->at("inputs"), "inputs");
        me.outputs = io_names(e->at("outputs"), "outputs");
      } catch (const JsonError& je) {
        throw ModelSetError(file, "module \"" + name + "\": " + je.what());
      }
      if (!is_plain_file_name(me.file))
        throw ModelSetError(file, "module \"" + name + "\": file must be a plain file name, got \"" + me.file + "\"");
    }
  } catch (const JsonError& e) {
    throw ModelSetError(file, e.what());
  }
  return m;
}

ModelManifest ModelSet::check_files(const fs::path& dir) {
  ModelManifest m = ModelManifest::read(dir);
  for (const auto& e : m.modules) {
    const fs::path p = dir / e.file;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
      throw ModelSetError(p.string(), "missing (listed in manifest.json); export the models again (README: Neural engine)");
    const auto size = static_cast<int64_t>(fs::file_size(p, ec));
    if (ec) throw ModelSetError(p.string(), "cannot read its size: " + ec.message());
    if (size != e.bytes)
      throw ModelSetError(p.string(), "size is " + std::to_string(size) + " bytes, manifest.json says " +
                                          std::to_string(e.bytes) + " (truncated or replaced file; export the models again)");
  }
  return m;
}

torch::Device resolve_device(const std::string& spec) {
  if (spec.empty() || spec == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::kCPU;
  if (spec == "cpu") return torch::kCPU;
  if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw std::invalid_argument("device \"" + spec + "\" asked for, but CUDA is not available in this build/machine");
    int index = 0;
    if (spec.size() > 5) {
      try {
        index = std::stoi(spec.substr(5));
      } catch (...) {
        throw std::invalid_argument("bad device \"" + spec + "\"");
      }
    }
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
      throw std::invalid_argument("device \"" + spec + "\" does not exist");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::invalid_argument("unknown device \"" + spec + "\" (use auto, cpu, cuda or cuda:N)");
}

namespace {

// What a file holds beyond its signature, checked once at load so that a bad
// file is named here rather than failing (or drawing black) at the first frame:
// - every weight a finite number (NaN or infinity renders black frames);
// - the small MLPs take and return their widths: they all look alike to the
//   signature check, so a retarget_eye.pt copied in as retarget_lip.pt would
//   otherwise load and fail at the first frame with a TorchScript trace.
void check_weights_and_widths(torch::jit::Module& m, ModelId id, const std::string& path, const std::string& name) {
  torch::NoGradGuard no_grad;
  for (const auto& t : m.parameters())
    if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
      throw ModelSetError(path, "holds weights that are not finite numbers (NaN or infinity): the file is damaged "
                                "or was exported from a broken checkpoint");
  for (const auto& t : m.buffers())
    if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
      throw ModelSetError(path, "holds buffers (e.g. batch-norm statistics) that are not finite numbers");
  int64_t in = 0, out = 0;  // [1, in] -> [1, out]: x_s and x_d (2*63), or x_s (63) + the condition
  if (id == ModelId::Stitching) in = 2 * 63, out = 65;
  else if (id == ModelId::RetargetEye) in = 63 + 3, out = 63;
  else if (id == ModelId::RetargetLip) in = 63 + 2, out = 63;
  else return;
  at::ScalarType dtype = at::kFloat;
  for (const auto& t : m.parameters()) {
    dtype = t.scalar_type();
    break;
  }
  at::Tensor y;
  try {
    y = m.forward({torch::zeros({1, in}, torch::TensorOptions().dtype(dtype))}).toTensor();
  } catch (const std::exception& ex) {
    std::string what = ex.what();
    what = what.substr(0, what.find('\n'));
    throw ModelSetError(path, "does not take " + name + "'s input of " + std::to_string(in) +
                                  " values: is it another module's file? (" + what + ")");
  }
  if (y.dim() != 2 || y.size(1) != out)
    throw ModelSetError(path, "returns " + std::to_string(y.dim() == 2 ? y.size(1) : y.numel()) + " values, " + name +
                                  " returns " + std::to_string(out) + ": is it another module's file?");
}

}  // namespace

std::shared_ptr<ModelSet> ModelSet::load(const fs::path& dir, const ModelSetOptions& options) {
  std::shared_ptr<ModelSet> set(new ModelSet());
  set->dir_ = dir;
  set->options_ = options;
  set->manifest_ = check_files(dir);

  try {
    set->device_ = resolve_device(options.device);
  } catch (const std::invalid_argument& e) {
    throw ModelSetError(dir.string(), e.what());
  }
  const bool cuda = set->device_.is_cuda();
  if (options.precision == "auto" || options.precision.empty()) {
    set->precision_ = cuda ? Precision::Fp16 : Precision::Fp32;
  } else if (options.precision == "fp32") {
    set->precision_ = Precision::Fp32;
  } else if (options.precision == "fp16") {
    if (cuda) {
      set->precision_ = Precision::Fp16;
    } else {
      set->precision_ = Precision::Fp32;
      set->notes_ = "fp16 asked for on the CPU, which has no fast half-precision convolutions: using fp32";
    }
  } else {
    throw ModelSetError(dir.string(), "unknown precision \"" + options.precision + "\" (use auto, fp32 or fp16)");
  }

  // cuDNN picks the fastest convolution algorithms for our fixed shapes (as the official code does).
  if (cuda) at::globalContext().setBenchmarkCuDNN(true);

  for (int i = 0; i < kNumModels; ++i) {
    const ModuleEntry& e = set->manifest_.modules[static_cast<size_t>(i)];
    const std::string path = (dir / e.file).string();
    torch::jit::Module m;
    try {
      m = torch::jit::load(path, torch::kCPU);
    } catch (const std::exception& ex) {
      std::string what = ex.what();
      const auto nl = what.find('\n');
      if (nl != std::string::npos) what = what.substr(0, nl);
      if (::access(path.c_str(), R_OK) != 0 && errno == EACCES)
        throw ModelSetError(path, "permission denied (the file cannot be read)");
      throw ModelSetError(path, "not a loadable TorchScript file (corrupt or wrong format; export the models again): " +
                                    what);
    }
    // Signature check: forward(self, <inputs...>) -> tensor or tuple of outputs.
    try {
      const auto& schema = m.get_method("forward").function().getSchema();
      const size_t arity = schema.arguments().size() - 1;  // minus self
      if (arity != e.inputs.size())
        throw ModelSetError(path, "forward takes " + std::to_string(arity) + " input(s), manifest.json lists " +
                                      std::to_string(e.inputs.size()) + " for " + e.name);
      if (schema.returns().size() == 1) {
        const auto& type = schema.returns()[0].type();
        size_t n_out = 1;
        if (auto tuple = type->cast<c10::TupleType>()) n_out = tuple->elements().size();
        if (n_out != e.outputs.size())
          throw ModelSetError(path, "forward returns " + std::to_string(n_out) + " output(s), manifest.json lists " +
                                        std::to_string(e.outputs.size()) + " for " + e.name);
      }
    } catch (const ModelSetError&) {
      throw;
    } catch (const std::exception& ex) {
      throw ModelSetError(path, std::string("has no usable forward method: ") + ex.what());
    }
    m.eval();
    const auto id = static_cast<ModelId>(i);
    check_weights_and_widths(m, id, path, e.name);
    m.to(set->device_, set->dtype_of(id));
    if (options.channels_last && cuda && (id == ModelId::WarpingModule || id == ModelId::SpadeGenerator)) {
      for (auto p : m.parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    }
    if (options.optimize && set->dtype_of(id) == set->compute_dtype() && i <= static_cast<int>(ModelId::SpadeGenerator)) {
      try {
        auto frozen = torch::jit::freeze(m);
        m = torch::jit::optimize_for_inference(frozen);
      } catch (const std::exception& ex) {
        std::string what = ex.what();
        what = what.substr(0, what.find('\n'));
        set->notes_ += std::string(set->notes_.empty() ? "" : "; ") + e.name + ": not optimised (" + what + ")";
      }
    }
    set->modules_[static_cast<size_t>(i)] = m;
  }
  if (options.compiled) {
    std::unique_ptr<CompiledModels> compiled =
        CompiledModels::load(dir, set->manifest_, set->device_, set->precision_, options.compiled_batches,
                             &set->compiled_status_);
    set->compiled_ = std::move(compiled);
    // A folder that has packages the user expects to run: say why they do not.
    if (set->compiled_status_.rfind("not used: ", 0) == 0)
      set->notes_ += std::string(set->notes_.empty() ? "" : "; ") + "compiled packages " + set->compiled_status_;
  }
  return set;
}

std::shared_ptr<ModelSet> ModelSet::try_load(const fs::path& dir, const ModelSetOptions& options,
                                             std::string* error) noexcept {
  try {
    return load(dir, options);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
  } catch (...) {
    if (error) *error = dir.string() + ": unknown error while loading the models";
  }
  return nullptr;
}

torch::ScalarType ModelSet::dtype_of(ModelId id) const {
  // As in the official code: the MLPs always run in float32; F, M, W, G follow the precision.
  switch (id) {
    case ModelId::Stitching:
    case ModelId::RetargetEye:
    case ModelId::RetargetLip:
      return torch::kFloat;
    default:
      return compute_dtype();
  }
}

std::string ModelSet::describe() const {
  std::string s = device_.str() + " " + precision_name(precision_);
  if (!manifest_.weights.empty()) s += " (" + manifest_.weights + " weights)";
  if (compiled_) s += ", " + compiled_status_;
  return s;
}

bool ModelSet::runs_compiled(ModelId id, int64_t batch) const {
  return compiled_ && compiled_->has(id, batch);
}

std::vector<torch::Tensor> ModelSet::forward(ModelId id, const std::vector<torch::Tensor>& inputs) {
  const auto dtype = dtype_of(id);
  if (!inputs.empty() && inputs[0].dim() > 0 && runs_compiled(id, inputs[0].size(0))) {
    // The packages were traced with contiguous (NCHW) inputs; Inductor chose
    // its own layouts inside.
    std::vector<torch::Tensor> args;
    args.reserve(inputs.size());
    for (const auto& t : inputs) args.push_back(t.to(device_, dtype).contiguous());
    return compiled_->run(id, args);
  }
  std::vector<torch::jit::IValue> args;
  args.reserve(inputs.size());
  const bool cl = options_.channels_last && device_.is_cuda() && id == ModelId::SpadeGenerator;
  for (const auto& t : inputs) {
    auto x = t.to(device_, dtype);
    if (cl && x.dim() == 4) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    args.emplace_back(x);
  }
  const torch::jit::IValue out = modules_[static_cast<size_t>(id)].forward(args);
  std::vector<torch::Tensor> result;
  if (out.isTuple()) {
    for (const auto& v : out.toTuple()->elements()) result.push_back(v.toTensor());
  } else if (out.isTensorList()) {
    for (const auto& t : out.toTensorVector()) result.push_back(t);
  } else {
    result.push_back(out.toTensor());
  }
  return result;
}

}  // namespace lp
