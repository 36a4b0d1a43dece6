#include "core/compiled_models.h"

#include <torch/version.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "core/json_value.h"

#ifdef LIVEPUPPET_HAVE_AOTI
#include <torch/csrc/inductor/aoti_package/model_package_loader.h>
#endif
#ifdef LIVEPUPPET_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace lp {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "livepuppet-aoti";
constexpr int64_t kFormatVersion = 1;

std::string string_or_empty(const JsonValue& root, const char* key) {
  const JsonValue* v = root.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

[[maybe_unused]] std::string short_names(const std::array<bool, kNumModels>& present) {
  static const char* kShort[kNumModels] = {"F", "M", "W", "G", "stitching", "eye", "lip"};
  std::string s;
  for (int i = 0; i < kNumModels; ++i)
    if (present[static_cast<size_t>(i)]) s += std::string(s.empty() ? "" : ", ") + kShort[i];
  return s;
}

// A manifest's "modules" object (of the batch-1 packages or of one larger batch).
void read_modules(const JsonValue& mods, const std::string& file, const std::string& where,
                  std::array<bool, kNumModels>* present, std::array<CompiledEntry, kNumModels>* modules) {
  if (!mods.is_object()) throw ModelSetError(file, where + "\"modules\" is not an object");
  for (int i = 0; i < kNumModels; ++i) {
    const JsonValue* e = mods.find(model_name(static_cast<ModelId>(i)));
    if (!e) continue;
    const std::string module = where + "module \"" + model_name(static_cast<ModelId>(i)) + "\": ";
    CompiledEntry& ce = (*modules)[static_cast<size_t>(i)];
    try {
      ce.file = e->at("file").as_string();
      ce.bytes = e->at("bytes").as_int();
      ce.source_file = e->at("source_file").as_string();
      ce.source_bytes = e->at("source_bytes").as_int();
    } catch (const JsonError& je) {
      throw ModelSetError(file, module + je.what());
    }
    for (const std::string* name : {&ce.file, &ce.source_file})
      if (!is_plain_file_name(*name)) throw ModelSetError(file, module + "file names must be plain, got \"" + *name + "\"");
    (*present)[static_cast<size_t>(i)] = true;
  }
}

// Why one listed package cannot stand for its TorchScript module ("" when it can).
std::string entry_mismatch(const CompiledEntry& e, const ModuleEntry& src, const fs::path& models_dir) {
  if (e.source_file != src.file || e.source_bytes != src.bytes)
    return e.file + " was compiled from " + e.source_file + " of " + std::to_string(e.source_bytes) +
           " bytes, the folder has " + src.file + " of " + std::to_string(src.bytes) + " bytes";
  const fs::path p = models_dir / "compiled" / e.file;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return p.string() + " is missing (listed in compiled/manifest.json)";
  const auto size = static_cast<int64_t>(fs::file_size(p, ec));
  if (ec || size != e.bytes)
    return p.string() + " is " + std::to_string(size) + " bytes, compiled/manifest.json says " +
           std::to_string(e.bytes) + " (truncated or replaced file)";
  return "";
}

// The first listed package of one batch size that cannot stand for its
// TorchScript module, `none` when nothing is listed, "" when all fit.
std::string listed_mismatch(const std::array<bool, kNumModels>& present,
                            const std::array<CompiledEntry, kNumModels>& modules, const ModelManifest& models,
                            const fs::path& models_dir, const std::string& none) {
  bool any = false;
  for (int i = 0; i < kNumModels; ++i) {
    if (!present[static_cast<size_t>(i)]) continue;
    any = true;
    const std::string why = entry_mismatch(modules[static_cast<size_t>(i)], models.modules[static_cast<size_t>(i)],
                                           models_dir);
    if (!why.empty()) return why;
  }
  return any ? "" : none;
}

}  // namespace

const CompiledBatch* CompiledManifest::find_batch(int64_t b) const {
  for (const auto& entry : batches)
    if (entry.batch == b) return &entry;
  return nullptr;
}

CompiledManifest CompiledManifest::read(const fs::path& models_dir) {
  const fs::path path = models_dir / "compiled" / "manifest.json";
  const std::string file = path.string();
  const JsonValue root = read_manifest_json(path, "no compiled packages; models/export_compiled.py makes them", kFormat,
                                            kFormatVersion, "run models/export_compiled.py again");
  CompiledManifest m;
  m.format_version = kFormatVersion;
  try {
    m.torch_version = root.at("torch_version").as_string();
    m.device_name = string_or_empty(root, "device_name");
    m.compute_capability = root.at("compute_capability").as_string();
    m.precision = root.at("precision").as_string();
    m.batch = root.at("batch").as_int();
    m.models_created_utc = string_or_empty(root, "models_created_utc");
    read_modules(root.at("modules"), file, "", &m.present, &m.modules);
    if (const JsonValue* batches = root.find("batches")) {
      if (!batches->is_object()) throw JsonError("\"batches\" is not an object");
      for (const auto& [key, value] : batches->as_object()) {
        CompiledBatch b;
        char* end = nullptr;
        b.batch = std::strtoll(key.c_str(), &end, 10);
        if (key.empty() || *end != '\0' || b.batch < 2)
          throw ModelSetError(file, "\"batches\": \"" + key + "\" is not a batch size above 1");
        read_modules(value.at("modules"), file, "batch " + key + ", ", &b.present, &b.modules);
        m.batches.push_back(std::move(b));
      }
      std::sort(m.batches.begin(), m.batches.end(),
                [](const CompiledBatch& a, const CompiledBatch& b) { return a.batch < b.batch; });
    }
  } catch (const JsonError& e) {
    throw ModelSetError(file, e.what());
  }
  if (m.batch < 1) throw ModelSetError(file, "batch must be at least 1");
  return m;
}

CompiledRuntime current_compiled_runtime(torch::Device device, Precision precision) {
  CompiledRuntime r;
#ifdef LIVEPUPPET_HAVE_AOTI
  r.aoti_available = true;
#endif
  r.torch_version = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                    std::to_string(TORCH_VERSION_PATCH);
  r.precision = precision;
#ifdef LIVEPUPPET_HAVE_CUDA
  if (device.is_cuda()) {
    const auto* props = at::cuda::getDeviceProperties(device.has_index() ? device.index() : 0);
    r.compute_capability = std::to_string(props->major) + "." + std::to_string(props->minor);
  }
#else
  (void)device;
#endif
  return r;
}

std::string compiled_mismatch(const CompiledManifest& compiled, const ModelManifest& models, const fs::path& models_dir,
                              const CompiledRuntime& runtime) {
  if (!runtime.aoti_available)
    return "this build's LibTorch " + runtime.torch_version + " has no AOTInductor runtime (needs 2.6 or later)";
  if (runtime.compute_capability.empty()) return "they run on CUDA GPUs only";
  if (compiled.precision != precision_name(runtime.precision))
    return "they are " + compiled.precision + ", the models run in " + precision_name(runtime.precision);
  if (compiled.torch_version != runtime.torch_version)
    return "compiled with PyTorch " + compiled.torch_version + ", this build runs LibTorch " + runtime.torch_version +
           "; run models/export_compiled.py again";
  if (compiled.compute_capability != runtime.compute_capability)
    return "compiled for compute capability " + compiled.compute_capability +
           (compiled.device_name.empty() ? "" : " (" + compiled.device_name + ")") + ", this GPU is " +
           runtime.compute_capability + "; run models/export_compiled.py on this machine";
  if (compiled.models_created_utc != models.created_utc)
    return "compiled from the export of " + compiled.models_created_utc + ", the TorchScript files are from " +
           models.created_utc + "; run models/export_compiled.py again";
  return listed_mismatch(compiled.present, compiled.modules, models, models_dir, "compiled/manifest.json lists no module");
}

std::string compiled_batch_mismatch(const CompiledManifest& compiled, int64_t b, const ModelManifest& models,
                                    const fs::path& models_dir) {
  const CompiledBatch* batch = compiled.find_batch(b);
  if (!batch) return "none compiled (models/export_compiled.py --batch " + std::to_string(b) + " makes them)";
  return listed_mismatch(batch->present, batch->modules, models, models_dir,
                         "compiled/manifest.json lists no module at batch " + std::to_string(b));
}

#ifdef LIVEPUPPET_HAVE_AOTI
struct CompiledModels::Runner {
  std::unique_ptr<torch::inductor::AOTIModelPackageLoader> loader;
  // run_single_threaded skips the package's own pool of model instances (whose
  // event queries cannot run while a CUDA graph is being captured); this lock
  // keeps two engine threads (frame + source preparation) out of it at once.
  std::mutex mutex;
};
#else
struct CompiledModels::Runner {};
#endif

CompiledModels::~CompiledModels() = default;

bool CompiledModels::has(ModelId id, int64_t batch) const {
  const auto it = runners_.find(batch);
  return it != runners_.end() && it->second[static_cast<size_t>(id)] != nullptr;
}

std::unique_ptr<CompiledModels> CompiledModels::load(const fs::path& models_dir, const ModelManifest& models,
                                                     torch::Device device, Precision precision,
                                                     const std::vector<int64_t>& extra_batches, std::string* status) {
  auto say = [&](const std::string& s) {
    if (status) *status = s;
  };
  std::error_code ec;
  if (!fs::exists(models_dir / "compiled" / "manifest.json", ec)) {
    say("none in the model folder (models/export_compiled.py makes them)");
    return nullptr;
  }
  CompiledManifest m;
  try {
    m = CompiledManifest::read(models_dir);
  } catch (const ModelSetError& e) {
    say(std::string("not used: ") + e.what());
    return nullptr;
  }
  const std::string why = compiled_mismatch(m, models, models_dir, current_compiled_runtime(device, precision));
  if (!why.empty()) {
    say("not used: " + why);
    return nullptr;
  }
#ifdef LIVEPUPPET_HAVE_AOTI
  std::unique_ptr<CompiledModels> set(new CompiledModels());
  // One batch size's packages into runners_[batch]; false (and the reason in
  // *error) when one of them cannot be loaded.
  auto load_batch = [&](int64_t batch, const std::array<bool, kNumModels>& present,
                        const std::array<CompiledEntry, kNumModels>& modules, std::string* error) {
    Runners runners;
    for (int i = 0; i < kNumModels; ++i) {
      if (!present[static_cast<size_t>(i)]) continue;
      const fs::path p = models_dir / "compiled" / modules[static_cast<size_t>(i)].file;
      auto runner = std::make_unique<Runner>();
      try {
        runner->loader = std::make_unique<torch::inductor::AOTIModelPackageLoader>(
            p.string(), "model", /*run_single_threaded=*/true, /*num_runners=*/1, device.index());
      } catch (const std::exception& ex) {
        std::string what = ex.what();
        *error = p.string() + ": cannot be loaded (" + what.substr(0, what.find('\n')) + ")";
        return false;
      }
      runners[static_cast<size_t>(i)] = std::move(runner);
    }
    set->runners_[batch] = std::move(runners);
    return true;
  };
  std::string error;
  if (!load_batch(m.batch, m.present, m.modules, &error)) {
    say("not used: " + error);
    return nullptr;
  }
  std::string sm = m.compute_capability;
  sm.erase(std::remove(sm.begin(), sm.end(), '.'), sm.end());
  std::string said = short_names(m.present) + " compiled (AOTInductor, sm_" + sm + ", batch " + std::to_string(m.batch);
  // The throughput mode's batch sizes: what is not there is said, not fatal.
  for (const int64_t b : extra_batches) {
    if (b == m.batch || set->runners_.count(b)) continue;
    std::string why_not = compiled_batch_mismatch(m, b, models, models_dir);
    if (why_not.empty()) {
      const CompiledBatch& batch = *m.find_batch(b);
      if (load_batch(b, batch.present, batch.modules, &error)) {
        said += "; " + short_names(batch.present) + " at batch " + std::to_string(b);
        continue;
      }
      why_not = error;
    }
    said += "; batch " + std::to_string(b) + " not used: " + why_not;
  }
  say(said + ")");
  return set;
#else
  (void)extra_batches;
  say("not used: this build has no AOTInductor runtime");
  return nullptr;
#endif
}

std::vector<torch::Tensor> CompiledModels::run(ModelId id, const std::vector<torch::Tensor>& inputs) {
#ifdef LIVEPUPPET_HAVE_AOTI
  const int64_t batch = inputs.empty() || inputs[0].dim() == 0 ? 0 : inputs[0].size(0);
  const auto it = runners_.find(batch);
  Runner* runner = it == runners_.end() ? nullptr : it->second[static_cast<size_t>(id)].get();
  if (!runner)
    throw std::logic_error(std::string("CompiledModels::run: no package of ") + model_name(id) + " at batch " +
                           std::to_string(batch));
  Runner& r = *runner;
  std::lock_guard<std::mutex> lock(r.mutex);
  void* stream = nullptr;
#ifdef LIVEPUPPET_HAVE_CUDA
  stream = at::cuda::getCurrentCUDAStream().stream();
#endif
  return r.loader->run(inputs, stream);
#else
  (void)id;
  (void)inputs;
  throw std::logic_error("CompiledModels::run without an AOTInductor runtime");
#endif
}

}  // namespace lp
