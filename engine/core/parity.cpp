#include "core/parity.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <map>
#include <optional>
#include <sstream>

#include "core/json_value.h"
#include "core/keypoints.h"
#include "core/model_set.h"
#include "core/neural_animator.h"
#include "core/npy_file.h"

namespace lp {
namespace fs = std::filesystem;

namespace {

torch::Tensor npy_to_tensor(const NpyArray& a) {
  const auto dtype = a.dtype == NpyDtype::Float32 ? torch::kFloat : a.dtype == NpyDtype::UInt8 ? torch::kUInt8
                                                                                                  : torch::kLong;
  auto t = torch::empty(a.shape, dtype);
  std::memcpy(t.data_ptr(), a.data.data(), a.data.size());
  return t;
}

// The fixture: index.json lists the arrays; each is loaded on first use.
class Fixture {
 public:
  explicit Fixture(const fs::path& dir) : dir_(dir) {
    const JsonValue index = JsonValue::parse_file((dir / "index.json").string());
    for (const auto& kv : index.as_object()) names_.push_back(kv.first);
  }
  bool has(const std::string& name) const {
    for (const auto& n : names_)
      if (n == name) return true;
    return false;
  }
  bool has_all(std::initializer_list<const char*> names) const {
    for (const char* n : names)
      if (!has(n)) return false;
    return true;
  }
  const torch::Tensor& get(const std::string& name) {
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    if (!has(name)) throw std::runtime_error((dir_ / "index.json").string() + ": no array \"" + name + "\"");
    return cache_[name] = npy_to_tensor(read_npy((dir_ / (name + ".npy")).string()));
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  fs::path dir_;
  std::vector<std::string> names_;
  std::map<std::string, torch::Tensor> cache_;
};

enum class Kind { Keypoints, Network };  // tolerance class

}  // namespace

int run_parity(const ParityOptions& opt, std::ostream& out, std::ostream& err) {
  std::optional<Fixture> fixture;
  try {
    fixture.emplace(opt.fixture_dir);
  } catch (const std::exception& e) {
    err << "parity: cannot read the fixture: " << e.what() << "\n";
    return 2;
  }
  ModelSetOptions mo;
  mo.device = opt.device;
  mo.precision = opt.precision;
  std::shared_ptr<ModelSet> models;
  try {
    models = ModelSet::load(opt.models_dir, mo);
  } catch (const std::exception& e) {
    err << "parity: cannot load the models: " << e.what() << "\n";
    return 2;
  }
  const bool fp16 = models->precision() == Precision::Fp16;
  const auto dev = models->device();
  out << "parity: models " << opt.models_dir << " on " << models->describe() << ", fixture " << opt.fixture_dir
      << "\n";
  if (!models->notes().empty()) out << "note: " << models->notes() << "\n";
  out << "compiled packages: " << models->compiled_status() << "\n";
  if (fp16) out << "fp16: errors are reported against the fp32 reference, not judged\n";
  if (!fp16 && dev.is_cuda()) {
    // LibTorch lets cuDNN/cuBLAS use TF32 for float32 by default on Ampere and newer (a
    // 10-bit mantissa): an fp32 comparison must run in true fp32.
    at::globalContext().setAllowTF32CuDNN(false);
    at::globalContext().setAllowTF32CuBLAS(false);
    out << "note: TF32 disabled so that fp32 means fp32\n";
  }

  NeuralAnimator animator(models);
  c10::InferenceMode guard;
  Fixture& fx = *fixture;
  int passed = 0, failed = 0;
  std::vector<std::string> done;

  auto check = [&](const std::string& name, Kind kind, const std::function<torch::Tensor()>& compute) {
    if (!fx.has(name)) return;
    done.push_back(name);
    std::ostringstream line;
    line << std::left << std::setw(22) << name << " ";
    try {
      const torch::Tensor ref = fx.get(name).to(torch::kFloat);
      const torch::Tensor got = compute().to(torch::kCPU, torch::kFloat).reshape(ref.sizes());
      const double max_ref = ref.abs().max().item<double>();
      const double max_err = (got - ref).abs().max().item<double>();
      const bool finite = torch::isfinite(got).all().item<bool>();
      const double tol = (kind == Kind::Keypoints ? 1e-4 : 1e-3) * (1.0 + max_ref);
      bool ok = finite && max_err <= tol;
      std::string verdict = ok ? "PASS" : "FAIL";
      if (fp16) {
        verdict = finite ? "INFO" : "NONFINITE";
        ok = true;  // fp16 is reported, never judged
      }
      line << std::setw(9) << verdict << " max|d|=" << std::scientific << std::setprecision(3) << max_err
           << "  tol=" << std::setprecision(1) << tol << "  max|ref|=" << std::setprecision(3) << max_ref;
      if (name == "G_image") {
        const double mse = (got - ref).pow(2).mean().item<double>();
        const double psnr = mse > 0 ? 10.0 * std::log10(1.0 / mse) : INFINITY;
        line << "  PSNR=" << std::fixed << std::setprecision(2) << psnr << " dB";
        if (fp16) line << (psnr >= 35.0 ? " (target >= 35 dB: met)" : " (target >= 35 dB: NOT met)");
      }
      (ok ? passed : failed)++;
    } catch (const std::exception& e) {
      std::string what = e.what();
      const auto nl = what.find('\n');
      if (nl != std::string::npos) what = what.substr(0, nl);
      line << "FAIL      error: " << what;
      ++failed;
    }
    out << line.str() << std::endl;
  };

  // F on the source image.
  if (fx.has("source_rgb_u8")) {
    check("F_feature_3d", Kind::Network, [&] {
      const auto x = animator.to_network_input(fx.get("source_rgb_u8").to(dev), models->compute_dtype());
      return models->forward(ModelId::AppearanceFeatureExtractor, {x})[0];
    });
  }
  // M on source and driving: raw outputs, then degrees, R and x from the fixture's own M outputs.
  const char* kMotionOut[] = {"pitch", "yaw", "roll", "t", "exp", "scale", "kp"};
  for (const std::string tag : {"source", "driving"}) {
    const std::string img = tag + "_rgb_u8";
    if (fx.has(img)) {
      std::vector<torch::Tensor> raw;
      auto run_m = [&]() -> const std::vector<torch::Tensor>& {
        if (raw.empty()) {
          const auto x = animator.to_network_input(fx.get(img).to(dev), models->dtype_of(ModelId::MotionExtractor));
          raw = models->forward(ModelId::MotionExtractor, {x});
        }
        return raw;
      };
      for (int k = 0; k < 7; ++k)
        check("M_" + tag + "_" + kMotionOut[k], Kind::Keypoints, [&, k] { return run_m().at(static_cast<size_t>(k)); });
    }
    for (const std::string angle : {"pitch", "yaw", "roll"}) {
      const std::string in = "M_" + tag + "_" + angle;
      if (fx.has(in)) check(tag + "_" + angle + "_deg", Kind::Keypoints, [&] { return bins_to_degrees(fx.get(in)); });
    }
    if (fx.has(tag + "_pitch_deg") && fx.has(tag + "_yaw_deg") && fx.has(tag + "_roll_deg"))
      check(tag + "_R", Kind::Keypoints, [&] {
        return rotation_matrix(fx.get(tag + "_pitch_deg"), fx.get(tag + "_yaw_deg"), fx.get(tag + "_roll_deg"));
      });
    const std::string m = "M_" + tag + "_";
    if (fx.has(tag + "_R") && fx.has(m + "kp") && fx.has(m + "exp") && fx.has(m + "scale") && fx.has(m + "t"))
      check(tag + "_x", Kind::Keypoints, [&] {
        return transform_keypoints(fx.get(m + "kp").reshape({1, kNumKeypoints, 3}), fx.get(tag + "_R"),
                                   fx.get(m + "exp"), fx.get(m + "scale"), fx.get(m + "t"));
      });
  }
  if (fx.has_all({"M_source_kp", "driving_R", "M_driving_exp", "M_driving_scale", "M_driving_t"}))
    check("x_d_abs", Kind::Keypoints, [&] {
      return transform_keypoints(fx.get("M_source_kp").reshape({1, kNumKeypoints, 3}), fx.get("driving_R"),
                                 fx.get("M_driving_exp"), fx.get("M_driving_scale"), fx.get("M_driving_t"));
    });
  // Stitching and retargeting MLPs (float32 always).
  if (fx.has_all({"source_x", "x_d_abs"})) {
    auto x_s = [&] { return fx.get("source_x").to(dev); };
    auto x_d = [&] { return fx.get("x_d_abs").to(dev); };
    check("S_stitching_delta", Kind::Keypoints,
          [&] { return models->forward(ModelId::Stitching, {concat_features(x_s(), x_d())})[0]; });
    check("x_d_stitched", Kind::Keypoints, [&] { return animator.stitch(x_s(), x_d()); });
  }
  if (fx.has_all({"source_x", "eye_condition"}))
    check("S_eye_delta", Kind::Keypoints,
          [&] { return animator.eye_delta(fx.get("source_x").to(dev), fx.get("eye_condition").to(dev)); });
  if (fx.has_all({"source_x", "lip_condition"}))
    check("S_lip_delta", Kind::Keypoints,
          [&] { return animator.lip_delta(fx.get("source_x").to(dev), fx.get("lip_condition").to(dev)); });
  // W with the fixture's feature volume and keypoints; G with the fixture's W output.
  if (fx.has_all({"F_feature_3d", "source_x", "x_d_stitched"})) {
    std::vector<torch::Tensor> w;
    auto run_w = [&]() -> const std::vector<torch::Tensor>& {
      if (w.empty())
        w = models->forward(ModelId::WarpingModule,
                            {fx.get("F_feature_3d"), fx.get("source_x"), fx.get("x_d_stitched")});
      return w;
    };
    check("W_occlusion_map", Kind::Network, [&] { return run_w().at(0); });
    check("W_deformation", Kind::Network, [&] { return run_w().at(1); });
    check("W_out", Kind::Network, [&] { return run_w().at(2); });
  }
  if (fx.has("W_out"))
    check("G_image", Kind::Network, [&] { return models->forward(ModelId::SpadeGenerator, {fx.get("W_out")})[0]; });

  for (const auto& n : fx.names()) {
    bool compared = false;
    for (const auto& d : done) compared = compared || d == n;
    const bool input = n == "source_rgb_u8" || n == "driving_rgb_u8" || n == "eye_condition" || n == "lip_condition";
    if (!compared && !input) out << std::left << std::setw(22) << n << " SKIP      not recomputed (its inputs are not in this fixture)\n";
  }
  out << passed << " passed, " << failed << " failed" << std::endl;
  if (passed + failed == 0) {
    // Zero checks pass vacuously: a fixture holding none of the arrays this
    // build recomputes (or only their inputs) proves nothing.
    err << "parity: no array in " << opt.fixture_dir
        << "/index.json could be checked (0 checks ran): the fixture holds none of the arrays this build recomputes\n";
    return 1;
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace lp
