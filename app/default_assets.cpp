#include "default_assets.h"

#include <cstdlib>
#include <string>
#include <vector>
#include <filesystem>

#ifndef LIVEPUPPET_ASSETS_DIR
#define LIVEPUPPET_ASSETS_DIR "assets"
#endif

namespace lp {

std::string default_portrait_path() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("LIVEPUPPET_DEFAULT_PORTRAIT"); env && *env) candidates.emplace_back(env);
  candidates.emplace_back(std::string(LIVEPUPPET_ASSETS_DIR) + "/default_portrait.png");
  candidates.emplace_back("/usr/lib/python3/dist-packages/skimage/data/astronaut.png");
  for (const auto& c : candidates)
    if (std::filesystem::exists(c)) return c;
  return {};
}

}  // namespace lp
