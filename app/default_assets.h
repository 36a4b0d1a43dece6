#pragma once
// The embedded default portrait: the public-domain NASA astronaut portrait
// (Eileen Collins) that Debian's python3-skimage ships. The setup script
// installs it; the app looks for it there so `make run` shows a face at once.
#include <string>

namespace lp {

// The first existing candidate: $LIVEPUPPET_DEFAULT_PORTRAIT, assets/, the
// scikit-image data folder. Empty if none is found.
std::string default_portrait_path();

}  // namespace lp
