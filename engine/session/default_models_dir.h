#pragma once
// Where the app and `livepuppet-cli render` look for exported LivePortrait
// models when no folder is given: the source tree's models/exported/, which
// is where models/fetch_weights.sh and the README's export command put them.
// The path is absolute (baked in at build time, like the shader folder), so
// the app finds the models whatever directory it was started from.
#include <string>

namespace lp {

std::string default_models_dir();

// A settings file's model folder as the app should use it: the relative
// "models/exported" that earlier versions saved means default_models_dir();
// anything else is kept as written. (Settings leave the default unwritten.)
std::string settings_models_dir(const std::string& saved);

}  // namespace lp
