#include "core/bench.h"

#include <sys/resource.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <vector>

#include "core/model_set.h"
#include "core/neural_animator.h"

#ifdef LIVEPUPPET_HAVE_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace lp {
namespace {

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::string stats_json(const std::vector<double>& v) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << "{\"p50\": " << percentile(v, 0.5) << ", \"p90\": " << percentile(v, 0.9)
    << ", \"mean\": " << (v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()))
    << "}";
  return s.str();
}

void reset_peak_memory(const torch::Device& d) {
#ifdef LIVEPUPPET_HAVE_CUDA
  if (d.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(d.index());
#else
  (void)d;
#endif
}

// Peak bytes allocated by LibTorch on the device since the last reset, or -1.
double peak_memory_mb(const torch::Device& d) {
#ifdef LIVEPUPPET_HAVE_CUDA
  if (d.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(d.index());
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);  // [0] = aggregate
  }
#else
  (void)d;
#endif
  return -1.0;
}

double peak_host_rss_mb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

}  // namespace

int run_bench(const BenchOptions& opt, std::ostream& out, std::ostream& err) {
  ModelSetOptions mo;
  mo.device = opt.device;
  mo.precision = opt.precision;
  mo.optimize = opt.optimize;
  std::shared_ptr<ModelSet> models;
  try {
    models = ModelSet::load(opt.models_dir, mo);
  } catch (const std::exception& e) {
    err << "bench: cannot load the models: " << e.what() << "\n";
    return 2;
  }
  const auto dev = models->device();
  const int batch = std::max(1, opt.batch);
  const int frames = std::max(1, opt.frames);

  NeuralAnimator animator(models);
  c10::InferenceMode guard;
  torch::manual_seed(0);
  const auto source = torch::rand({1, 3, 256, 256}).to(dev);
  // A few different driving frames, cycled, already on the device (the engine's input contract).
  std::vector<torch::Tensor> driving;
  for (int i = 0; i < 4; ++i) driving.push_back(torch::rand({batch, 3, 256, 256}).to(dev));
  const std::vector<DrivingRatios> ratios(static_cast<size_t>(batch), DrivingRatios{0.3f, 0.3f, 0.1f});
  AnimationParams params;  // official defaults: relative motion, stitching

  // Source preparation (F + M + normalize-lip MLP), timed separately.
  std::vector<double> prep;
  SourceState src;
  // The first calls include one-off work (cuDNN autotuning, TorchScript profiling runs).
  const int prep_skip = dev.is_cuda() ? 5 : 1, prep_calls = dev.is_cuda() ? 25 : 3;
  for (int i = 0; i < prep_calls; ++i) {
    src = animator.prepare_source(source, 0.3f, 0.3f, 0.1f);
    if (i >= prep_skip) prep.push_back(src.prepare_ms);
  }

  for (int i = 0; i < opt.warmup; ++i) animator.animate_batch(src, driving[static_cast<size_t>(i) % 4], ratios, params);
  reset_peak_memory(dev);

  std::vector<double> m, kp, w, g, total;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < frames; ++i) {
    const auto r = animator.animate_batch(src, driving[static_cast<size_t>(i) % 4], ratios, params);
    m.push_back(r.timings.motion_ms);
    kp.push_back(r.timings.keypoints_ms);
    w.push_back(r.timings.warp_ms);
    g.push_back(r.timings.generator_ms);
    total.push_back(r.timings.total_ms);
  }
  if (dev.is_cuda()) torch::cuda::synchronize(dev.index());
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  out << std::fixed << std::setprecision(3);
  out << "{\n"
      << "  \"device\": \"" << dev.str() << "\",\n"
      << "  \"precision\": \"" << precision_name(models->precision()) << "\",\n"
      << "  \"weights\": \"" << models->manifest().weights << "\",\n"
      << "  \"libtorch\": \"" << TORCH_VERSION << "\",\n"
      << "  \"batch\": " << batch << ",\n"
      << "  \"timed_calls\": " << frames << ",\n"
      << "  \"warmup_calls\": " << opt.warmup << ",\n"
      << "  \"cuda_graphs\": false,\n"
      << "  \"torchscript_optimized\": " << (opt.optimize ? "true" : "false") << ",\n"
      << "  \"notes\": \"" << models->notes() << "\",\n"
      << "  \"ms_per_call\": {\n"
      << "    \"motion_extractor\": " << stats_json(m) << ",\n"
      << "    \"keypoints_and_mlps\": " << stats_json(kp) << ",\n"
      << "    \"warping_module\": " << stats_json(w) << ",\n"
      << "    \"spade_generator\": " << stats_json(g) << ",\n"
      << "    \"total\": " << stats_json(total) << "\n"
      << "  },\n"
      << "  \"ms_per_frame_p50\": " << percentile(total, 0.5) / batch << ",\n"
      << "  \"fps\": " << static_cast<double>(frames) * batch / wall_s << ",\n"
      << "  \"source_prep_ms\": " << stats_json(prep) << ",\n"
      << "  \"peak_device_memory_mb\": " << peak_memory_mb(dev) << ",\n"
      << "  \"peak_host_rss_mb\": " << peak_host_rss_mb() << "\n"
      << "}" << std::endl;
  return 0;
}

}  // namespace lp
