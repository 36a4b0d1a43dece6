#pragma once
// Hotkeys (also listed by the F1 help overlay and in README):
//   Space pause/resume   R re-zero     S stitching     M mirror webcam
//   Tab switch engine    F fullscreen  Esc leave fullscreen   F1 help
//   Ctrl+R start/stop recording
// They never fire while a text field has the keyboard, and the single keys
// only without Ctrl/Alt/Super (Ctrl+S is not stitching).
#include "ui_state.h"

namespace lp {

struct HotkeyInfo {
  const char* keys;
  const char* action;
};
const HotkeyInfo* hotkey_table(int* count);

void process_hotkeys(UiState& ui);

}  // namespace lp
