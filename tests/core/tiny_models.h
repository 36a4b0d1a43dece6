#pragma once
// A complete but tiny exported model folder, written from TorchScript source in
// C++ (no Python, no weights): right signatures and output shapes, outputs that
// depend on the inputs. For model-set validation and animator tests.
#include <torch/script.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace lp::test {

struct TinyModule {
  std::string name, source;
  std::vector<std::string> inputs, outputs;
};

inline std::vector<TinyModule> tiny_modules() {
  return {
      {"appearance_feature_extractor",
       "def forward(self, image):\n"
       "    return torch.zeros([image.size(0), 32, 16, 64, 64], dtype=image.dtype, device=image.device) + "
       "image.mean()\n",
       {"image"},
       {"feature_3d"}},
      {"motion_extractor",
       "def forward(self, image):\n"
       "    m = torch.mean(image, [1, 2, 3]).unsqueeze(1)\n"
       "    a66 = torch.arange(66, dtype=image.dtype, device=image.device).unsqueeze(0)\n"
       "    a63 = torch.arange(63, dtype=image.dtype, device=image.device).unsqueeze(0)\n"
       "    pitch = torch.sin(a66 * 0.1 + m * 3.0)\n"
       "    yaw = torch.cos(a66 * 0.07 + m * 2.0)\n"
       "    roll = torch.sin(a66 * 0.05 - m)\n"
       "    t = torch.cat([m, -m, m * 0.5], 1)\n"
       "    exp = 0.02 * torch.sin(a63 + m * 5.0)\n"
       "    scale = 1.0 + m * 0.1\n"
       "    kp = 0.5 * torch.cos(a63 * 0.3) + 0.0 * m\n"
       "    return (pitch, yaw, roll, t, exp, scale, kp)\n",
       {"image"},
       {"pitch", "yaw", "roll", "t", "exp", "scale", "kp"}},
      {"warping_module",
       "def forward(self, feature_3d, kp_source, kp_driving):\n"
       "    b = feature_3d.size(0)\n"
       "    d = (kp_driving - kp_source).abs().mean()\n"
       "    occ = torch.zeros([b, 1, 64, 64], dtype=feature_3d.dtype, device=feature_3d.device) + d\n"
       "    deformation = torch.zeros([b, 16, 64, 64, 3], dtype=feature_3d.dtype, device=feature_3d.device) + d\n"
       "    out = torch.zeros([b, 256, 64, 64], dtype=feature_3d.dtype, device=feature_3d.device) + "
       "kp_driving.reshape([b, -1]).mean(1).reshape([b, 1, 1, 1])\n"
       "    return (occ, deformation, out)\n",
       {"feature_3d", "kp_source", "kp_driving"},
       {"occlusion_map", "deformation", "out"}},
      {"spade_generator",
       "def forward(self, feature):\n"
       "    b = feature.size(0)\n"
       "    return torch.sigmoid(torch.zeros([b, 3, 512, 512], dtype=feature.dtype, device=feature.device) + "
       "feature.reshape([b, -1]).mean(1).reshape([b, 1, 1, 1]))\n",
       {"feature"},
       {"image"}},
      {"stitching", "def forward(self, x):\n    return x[:, 0:65] * 0.01\n", {"x"}, {"delta"}},
      {"retarget_eye", "def forward(self, x):\n    return x[:, 0:63] * 0.01 + x[:, 63:64] * 0.1\n", {"x"}, {"delta"}},
      {"retarget_lip", "def forward(self, x):\n    return x[:, 0:63] * 0.01 + x[:, 64:65] * 0.1\n", {"x"}, {"delta"}},
  };
}

// `weight`, when defined, becomes the module's parameter `w` (for sources
// that use self.w).
inline void save_tiny_module(const std::filesystem::path& path, const std::string& source,
                             const torch::Tensor& weight = {}) {
  torch::jit::Module m("TinyModule");
  if (weight.defined()) m.register_parameter("w", weight, false);
  m.define(source);
  m.save(path.string());
}

// Writes the folder; `replace` swaps a module's TorchScript source (same manifest
// entry), e.g. to write one with the wrong arity.
inline void write_tiny_model_set(const std::filesystem::path& dir,
                                 const std::map<std::string, std::string>& replace = {},
                                 const std::map<std::string, torch::Tensor>& weights = {}) {
  std::filesystem::create_directories(dir);
  std::string modules_json;
  for (const auto& m : tiny_modules()) {
    const auto file = m.name + ".pt";
    auto it = replace.find(m.name);
    const auto w = weights.find(m.name);
    save_tiny_module(dir / file, it != replace.end() ? it->second : m.source,
                     w != weights.end() ? w->second : torch::Tensor());
    auto ports = [](const std::vector<std::string>& names) {
      std::string s = "[";
      for (size_t i = 0; i < names.size(); ++i)
        s += (i ? ", " : "") + std::string("{\"name\": \"") + names[i] + "\", \"shape\": [-1], \"dtype\": \"float32\"}";
      return s + "]";
    };
    if (!modules_json.empty()) modules_json += ",\n";
    modules_json += "    \"" + m.name + "\": {\"file\": \"" + file + "\", \"bytes\": " +
                    std::to_string(std::filesystem::file_size(dir / file)) + ", \"inputs\": " + ports(m.inputs) +
                    ", \"outputs\": " + ports(m.outputs) + ", \"source_checkpoint\": null}";
  }
  std::ofstream(dir / "manifest.json") << "{\n  \"format\": \"livepuppet-torchscript\",\n  \"format_version\": 1,\n"
                                       << "  \"torch_version\": \"test\",\n  \"created_utc\": \"2026-01-01T00:00:00Z\",\n"
                                       << "  \"weights\": \"random-init\",\n  \"seed\": 1,\n  \"modules\": {\n"
                                       << modules_json << "\n  }\n}\n";
}

}  // namespace lp::test
