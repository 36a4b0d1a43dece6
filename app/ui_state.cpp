#include "ui_state.h"

namespace lp {

void UiState::post(MessageLevel level, const std::string& text, double now) {
  log.push_back({level, text, now});
  while (log.size() > 200) log.pop_front();
  // Information never hides a warning or error that is still on screen.
  if (level == MessageLevel::Info && banner_level != MessageLevel::Info && now < banner_until) return;
  // Errors stay longer on screen than information.
  banner = text;
  banner_level = level;
  banner_until = now + (level == MessageLevel::Error ? 8.0 : level == MessageLevel::Warning ? 6.0 : 3.0);
}

}  // namespace lp
