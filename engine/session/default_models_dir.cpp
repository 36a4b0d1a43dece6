#include "default_models_dir.h"

#ifndef LIVEPUPPET_DEFAULT_MODELS_DIR
#define LIVEPUPPET_DEFAULT_MODELS_DIR "models/exported"
#endif

namespace lp {

std::string default_models_dir() { return LIVEPUPPET_DEFAULT_MODELS_DIR; }

std::string settings_models_dir(const std::string& saved) {
  // Settings written before the default became absolute hold the old
  // relative default, which only worked when started from the source tree.
  if (saved == "models/exported" || saved == "models/exported/") return default_models_dir();
  return saved;
}

}  // namespace lp
