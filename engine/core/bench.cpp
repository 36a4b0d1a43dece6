#include "core/bench.h"

#include <sys/resource.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <vector>

#include "core/compiled_models.h"
#include "core/gpu_preprocess.h"
#include "core/json_value.h"
#include "core/kernel_trace.h"
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

// Bytes LibTorch's caching allocator holds from the device now (CUDA graph
// pools included), or -1.
double reserved_memory_mb(const torch::Device& d) {
#ifdef LIVEPUPPET_HAVE_CUDA
  if (d.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(d.index());
    return static_cast<double>(stats.reserved_bytes[0].current) / (1024.0 * 1024.0);
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

struct ConfigResult {
  std::string json;
  double frame_p50 = 0.0, fps = 0.0;
  torch::Tensor probe_image;  // output for a fixed source/driving pair, for accuracy comparisons
};

// A message as a JSON string's contents (file names and reasons may hold quotes).
std::string json_text(const std::string& s) {
  std::string r;
  for (const char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += (c == '\n' || c == '\t') ? ' ' : c;
  }
  return r;
}

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  const double mse = (a.to(torch::kCPU, torch::kFloat) - b.to(torch::kCPU, torch::kFloat)).pow(2).mean().item<double>();
  return mse <= 0.0 ? 99.0 : 10.0 * std::log10(1.0 / mse);
}

// One configuration; 2 when the models cannot be loaded (message on err).
int bench_config(const BenchOptions& opt, const std::string& label, ConfigResult* result, std::ostream& err) {
  ModelSetOptions mo;
  mo.device = opt.device;
  mo.precision = opt.precision;
  mo.optimize = opt.optimize;
  mo.channels_last = opt.channels_last;
  mo.compiled = opt.compiled;
  if (opt.batch > 1) mo.compiled_batches = {opt.batch};  // the throughput mode's packages, where compiled
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
  animator.set_cuda_graphs(opt.cuda_graphs);
  animator.set_prepare_graph(opt.prepare_graph);
  c10::InferenceMode guard;
  torch::manual_seed(0);
  const auto source = torch::rand({1, 3, 256, 256}).to(dev);
  // A few different driving frames, cycled, already on the device (the engine's input contract).
  std::vector<torch::Tensor> driving;
  for (int i = 0; i < 4; ++i) driving.push_back(torch::rand({batch, 3, 256, 256}).to(dev));
  const std::vector<DrivingRatios> ratios(static_cast<size_t>(batch), DrivingRatios{0.3f, 0.3f, 0.1f});
  AnimationParams params;  // official defaults: relative motion, stitching
  params.smoothing = opt.smoothing;

  // The portrait the driving frames animate.
  SourceState src = animator.prepare_source(source, 0.3f, 0.3f, 0.1f);
  // With graphs the stage split needs synchronisation that a replay does not
  // have: stage times come from eager calls only.
  animator.set_stage_timing(!opt.cuda_graphs);
  for (int i = 0; i < opt.warmup; ++i) animator.animate_batch(src, driving[static_cast<size_t>(i) % 4], ratios, params);

  // Source preparation (F + M + normalize-lip MLP), timed while a portrait is
  // being animated, as when the user swaps portraits: with graphs on, the
  // first call captures the preparation graph, the others replay it.
  std::vector<double> prep;
  // The first calls include one-off work (cuDNN autotuning, TorchScript profiling runs, the capture).
  const int prep_skip = dev.is_cuda() ? 5 : 1, prep_calls = dev.is_cuda() ? 25 : 3;
  SourceState last_prep;
  for (int i = 0; i < prep_calls; ++i) {
    last_prep = animator.prepare_source(source, 0.3f, 0.3f, 0.1f);
    if (i >= prep_skip) prep.push_back(last_prep.prepare_ms);
  }
  // A replayed preparation must give what an eager one gives.
  double prep_check = -1.0;
  if (last_prep.used_cuda_graph) {
    animator.set_prepare_graph(false);
    const SourceState eager = animator.prepare_source(source, 0.3f, 0.3f, 0.1f);
    animator.set_prepare_graph(opt.prepare_graph);
    prep_check = std::max({(last_prep.feature_3d - eager.feature_3d).abs().max().item<double>(),
                           (last_prep.x_s - eager.x_s).abs().max().item<double>(),
                           (last_prep.lip_normalize_delta - eager.lip_normalize_delta).abs().max().item<double>()});
  }
  for (int i = 0; i < 3; ++i) animator.animate_batch(src, driving[static_cast<size_t>(i) % 4], ratios, params);
  reset_peak_memory(dev);

  std::vector<double> m, kp, w, g, total;
  int graphed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < frames; ++i) {
    const auto r = animator.animate_batch(src, driving[static_cast<size_t>(i) % 4], ratios, params);
    graphed += r.used_cuda_graph ? 1 : 0;
    if (!r.used_cuda_graph) {
      m.push_back(r.timings.motion_ms);
      kp.push_back(r.timings.keypoints_ms);
      w.push_back(r.timings.warp_ms);
      g.push_back(r.timings.generator_ms);
    }
    total.push_back(r.timings.total_ms);
  }
  if (dev.is_cuda()) torch::cuda::synchronize(dev.index());
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double peak_mb = peak_memory_mb(dev);
  const double reserved_mb = reserved_memory_mb(dev);
  std::string trace_note = "none";
  if (!opt.trace_path.empty()) {
    try {
      KernelTrace trace;
      for (int i = 0; i < 20; ++i) animator.animate_batch(src, driving[static_cast<size_t>(i) % 4], ratios, params);
      if (dev.is_cuda()) torch::cuda::synchronize(dev.index());
      trace.save(opt.trace_path);
      trace_note = "20 calls in " + opt.trace_path;
    } catch (const std::exception& e) {
      err << "bench: no trace: " << e.what() << "\n";
      trace_note = std::string("failed: ") + e.what();
    }
  }
  // Probe: the first driving frame of the batch again, for accuracy comparisons between configurations.
  result->probe_image = animator.animate_batch(src, driving[0], ratios, params).image.narrow(0, 0, 1).to(torch::kCPU);

  // With smoothing and graphs: the graphed One-Euro filter must give what the
  // eager one gives. The same 30 timestamped frames, graphs on then off.
  double smoothing_check = -1.0;
  if (opt.smoothing && opt.cuda_graphs) {
    std::vector<torch::Tensor> kp[2];
    for (int pass = 0; pass < 2; ++pass) {
      animator.set_cuda_graphs(pass == 0);
      animator.reset();
      for (int i = 0; i < 30; ++i) {
        std::vector<double> ts(static_cast<size_t>(batch));
        for (int b = 0; b < batch; ++b) ts[static_cast<size_t>(b)] = (i * batch + b) / 30.0;
        kp[pass].push_back(animator.animate_batch(src, driving[static_cast<size_t>(i) % 4], ratios, params, ts)
                               .x_driving.to(torch::kCPU, torch::kFloat));
      }
    }
    smoothing_check = 0.0;
    for (size_t i = 0; i < kp[0].size(); ++i)
      smoothing_check = std::max(smoothing_check, (kp[0][i] - kp[1][i]).abs().max().item<double>());
  }

  std::ostringstream out;
  out << std::fixed << std::setprecision(3);
  out << "{\n"
      << "  \"config\": \"" << label << "\",\n"
      << "  \"device\": \"" << dev.str() << "\",\n"
      << "  \"precision\": \"" << precision_name(models->precision()) << "\",\n"
      << "  \"weights\": \"" << models->manifest().weights << "\",\n"
      << "  \"libtorch\": \"" << TORCH_VERSION << "\",\n"
      << "  \"batch\": " << batch << ",\n"
      << "  \"timed_calls\": " << frames << ",\n"
      << "  \"warmup_calls\": " << opt.warmup << ",\n"
      << "  \"cuda_graphs\": " << (graphed > 0 ? "true" : "false") << ",\n"
      << "  \"cuda_graph_calls\": " << graphed << ",\n"
      << "  \"cuda_graph_status\": \"" << animator.cuda_graph_status() << "\",\n"
      << "  \"torchscript_optimized\": " << (opt.optimize ? "true" : "false") << ",\n"
      << "  \"channels_last\": " << (opt.channels_last ? "true" : "false") << ",\n"
      << "  \"compiled\": " << (models->runs_compiled(ModelId::SpadeGenerator, batch) ? "true" : "false") << ",\n"
      << "  \"compiled_status\": \"" << json_text(models->compiled_status()) << "\",\n"
      << "  \"smoothing\": " << (opt.smoothing ? "true" : "false") << ",\n"
      << "  \"smoothing_graph_vs_eager_max_abs_keypoint_diff\": " << smoothing_check << ",\n"
      << "  \"notes\": \"" << json_text(models->notes() + animator.status()) << "\",\n"
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
      << "  \"source_prep_cuda_graph\": " << (last_prep.used_cuda_graph ? "true" : "false") << ",\n"
      << "  \"source_prep_graph_vs_eager_max_abs_diff\": " << prep_check << ",\n"
      << "  \"peak_device_memory_mb\": " << peak_mb << ",\n"
      << "  \"device_memory_reserved_mb\": " << reserved_mb << ",\n"
      << "  \"peak_host_rss_mb\": " << peak_host_rss_mb() << ",\n"
      << "  \"trace\": \"" << json_text(trace_note) << "\"\n"
      << "}";
  result->json = out.str();
  result->frame_p50 = percentile(total, 0.5) / batch;
  result->fps = static_cast<double>(frames) * batch / wall_s;
  return 0;
}

}  // namespace

int run_bench(const BenchOptions& opt, std::ostream& out, std::ostream& err) {
  if (opt.suite && !opt.trace_path.empty()) {
    err << "bench: --trace records one configuration; it cannot go with --suite\n";
    return 2;
  }
  if (!opt.suite) {
    ConfigResult r;
    const int rc = bench_config(opt, opt.cuda_graphs ? "graphs" : "eager", &r, err);
    if (rc == 0) out << r.json << std::endl;
    return rc;
  }
  struct Config {
    std::string label, precision;
    bool optimize, graphs, channels_last;
    int batch;
    bool smoothing = false;
    bool prepare_graph = true;
    bool compiled = false;
  };
  // The fourth is the headline configuration (batch 1, the fastest path).
  const bool cl = opt.channels_last;
  std::vector<Config> configs = {
      {"eager fp32", "fp32", false, false, false, 1},
      {"eager fp16", "fp16", false, false, false, 1},
      {"eager fp16 frozen", "fp16", true, false, false, 1},
      {cl ? "graphs fp16 frozen cl" : "graphs fp16 frozen", "fp16", true, true, cl, 1},
      {cl ? "graphs fp16 frozen cl b4" : "graphs fp16 frozen b4", "fp16", true, true, cl, 4},
      {cl ? "graphs fp16 frozen cl b16" : "graphs fp16 frozen b16", "fp16", true, true, cl, 16},
      {cl ? "graphs fp16 frozen nchw" : "graphs fp16 frozen cl", "fp16", true, true, !cl, 1},
      // Live webcam use with One-Euro smoothing: the filter runs inside the graph.
      {cl ? "graphs fp16 frozen cl smoothing" : "graphs fp16 frozen smoothing", "fp16", true, true, cl, 1, true},
      // Source preparation eager (no preparation graph): its time and VRAM.
      {cl ? "graphs fp16 frozen cl eager prep" : "graphs fp16 frozen eager prep", "fp16", true, true, cl, 1, false, false},
  };
  // The AOTInductor packages (models/export_compiled.py), when the folder has
  // ones that fit this GPU and LibTorch: F, M, W, G compiled, the rest as above.
  std::string compiled_status = "off (--no-compiled)";
  if (opt.compiled) {
    try {
      const auto dev = resolve_device(opt.device);
      const ModelManifest models = ModelSet::check_files(opt.models_dir);
      const CompiledManifest compiled = CompiledManifest::read(opt.models_dir);
      const std::string why =
          compiled_mismatch(compiled, models, opt.models_dir, current_compiled_runtime(dev, Precision::Fp16));
      compiled_status = why.empty() ? "used in the compiled rows" : "not used: " + why;
      if (why.empty()) {
        configs.push_back({"eager fp16 compiled", "fp16", true, false, cl, 1, false, true, true});
        configs.push_back({"graphs fp16 compiled", "fp16", true, true, cl, 1, false, true, true});
        // The throughput mode at batch 4 and 16, where the folder has packages
        // for those sizes (export_compiled.py --batch B); TorchScript rows above.
        for (const int b : {4, 16}) {
          const std::string why_not = compiled_batch_mismatch(compiled, b, models, opt.models_dir);
          if (why_not.empty())
            configs.push_back({"graphs fp16 compiled b" + std::to_string(b), "fp16", true, true, cl, b, false, true,
                               true});
          else
            compiled_status += "; batch " + std::to_string(b) + ": " + why_not;
        }
        configs.push_back({"graphs fp16 compiled smoothing", "fp16", true, true, cl, 1, true, true, true});
        configs.push_back({"graphs fp16 compiled eager prep", "fp16", true, true, cl, 1, false, false, true});
      }
    } catch (const std::exception& e) {
      compiled_status = std::string("not used: ") + e.what();
    }
  }
  std::vector<ConfigResult> results;
  std::vector<std::string> labels;
  for (const auto& c : configs) {
    BenchOptions o = opt;
    o.precision = c.precision;
    o.optimize = c.optimize;
    o.cuda_graphs = c.graphs;
    o.channels_last = c.channels_last;
    o.batch = c.batch;
    o.smoothing = c.smoothing;
    o.prepare_graph = c.prepare_graph;
    o.compiled = c.compiled;
    o.frames = c.batch == 1 ? opt.frames : std::max(10, opt.frames / c.batch);
    o.warmup = c.batch == 1 ? opt.warmup : std::max(5, opt.warmup / 2);
    // On a CPU one configuration takes minutes: say what is running.
    const int calls = o.warmup + o.frames;
    err << "bench: " << c.label << " (" << calls << (calls == 1 ? " call" : " calls") << ")...\n" << std::flush;
    ConfigResult r;
    const int rc = bench_config(o, c.label, &r, err);
    if (rc != 0) return rc;
    err << "bench: " << c.label << ": " << r.frame_p50 << " ms/frame p50, " << r.fps << " FPS\n";
    results.push_back(std::move(r));
    labels.push_back(c.label);
  }
  // GPU pre-processing: upload of a 1920x1080 frame (pinned buffer, copy
  // stream) plus the affine crop to 256x256, synchronised per call.
  std::vector<double> crop_ms;
  {
    c10::InferenceMode guard;
    const auto dev = resolve_device(opt.device);
    FrameCropper cropper(dev);
    const auto frame = torch::randint(0, 256, {1080, 1920, 3}, torch::kUInt8);
    const std::array<double, 6> m_o2c = {0.40, 0.05, -300.0, -0.05, 0.40, -150.0};
    for (int i = 0; i < 60; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto c = cropper.crop(frame, m_o2c);
      if (dev.is_cuda()) torch::cuda::synchronize(dev.index());
      if (i >= 10) crop_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  double baseline_ms = -1.0;
  if (!opt.baseline_json.empty()) {
    try {
      baseline_ms = JsonValue::parse_file(opt.baseline_json).at("baseline").at("ms_per_frame_p50").as_number();
    } catch (const std::exception& e) {
      err << "bench: baseline not read: " << e.what() << "\n";
    }
  }
  out << std::fixed << std::setprecision(3) << "{\n  \"configurations\": [\n";
  for (size_t i = 0; i < results.size(); ++i) out << results[i].json << (i + 1 < results.size() ? ",\n" : "\n");
  out << "  ],\n  \"accuracy_psnr_db\": {\n";
  // Same source and driving frame through every configuration: fp16 paths
  // against eager fp32. Not the smoothing run: smoothing changes the frames on
  // purpose (its check is graph against eager, in its own entry).
  std::vector<size_t> compared;
  for (size_t i = 1; i < results.size(); ++i)
    if (!configs[i].smoothing) compared.push_back(i);
  for (size_t k = 0; k < compared.size(); ++k)
    out << "    \"" << labels[compared[k]] << " vs eager fp32\": "
        << psnr(results[compared[k]].probe_image, results[0].probe_image) << (k + 1 < compared.size() ? ",\n" : "\n");
  out << "  },\n";
  out << "  \"gpu_preprocess_1080p_upload_and_crop_ms\": " << stats_json(crop_ms) << ",\n";
  // The headline: the fastest batch-1 fp16 graph run without smoothing.
  size_t best_i = 3;
  for (size_t i = 0; i < results.size(); ++i)
    if (configs[i].graphs && configs[i].batch == 1 && !configs[i].smoothing &&
        results[i].frame_p50 < results[best_i].frame_p50)
      best_i = i;
  const double best = results[best_i].frame_p50;
  // The throughput mode's best: any batch size.
  size_t fastest_i = best_i;
  for (size_t i = 0; i < results.size(); ++i)
    if (configs[i].graphs && !configs[i].smoothing && results[i].frame_p50 < results[fastest_i].frame_p50)
      fastest_i = i;
  out << "  \"compiled_status\": \"" << json_text(compiled_status) << "\",\n"
      << "  \"fastest_batch1_config\": \"" << labels[best_i] << "\",\n"
      << "  \"fastest_batch1_ms_per_frame_p50\": " << best << ",\n"
      << "  \"fastest_config\": \"" << labels[fastest_i] << "\",\n"
      << "  \"fastest_ms_per_frame_p50\": " << results[fastest_i].frame_p50 << ",\n"
      << "  \"pytorch_eager_fp16_baseline_ms\": " << baseline_ms << ",\n"
      << "  \"speedup_graphs_fp16_over_baseline\": " << (baseline_ms > 0 ? baseline_ms / best : -1.0) << ",\n"
      << "  \"speedup_graphs_fp16_over_eager_fp16\": " << results[1].frame_p50 / best << "\n}" << std::endl;
  // A short table last.
  err << "\n" << std::left << std::setw(26) << "configuration" << std::right << std::setw(12) << "ms/frame" << std::setw(10)
      << "FPS" << "\n";
  for (size_t i = 0; i < results.size(); ++i)
    err << std::left << std::setw(26) << labels[i] << std::right << std::setw(12) << results[i].frame_p50
        << std::setw(10) << results[i].fps << "\n";
  return 0;
}

}  // namespace lp
