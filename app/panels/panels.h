#pragma once
// The panels of the main window, one function each, drawn every frame from
// main()'s loop. They read the session's state and change it only through its
// public methods and the UiState parameters.
#include "hotkeys.h"
#include "ui_state.h"

#include <imgui.h>

namespace lp {

struct PanelLayout {
  ImVec2 source_pos, source_size;
  ImVec2 driving_pos, driving_size;
  ImVec2 output_pos, output_size;
  ImVec2 controls_pos, controls_size;
  ImVec2 status_pos, status_size;
};

// Splits the window: inputs on the left, output in the middle, controls on the
// right, status bar at the bottom. Fullscreen output takes everything.
PanelLayout compute_layout(float width, float height, bool fullscreen_output);

// The tiled panels (source, driving, output, controls, status bar) draw no
// background of their own (kTiledPanelFlags): paint_panel_backgrounds() clears
// the framebuffer with the style's window colour before ImGui draws. On
// software GL a clear is a fast fill, while ImGui's background rectangles are
// textured, blended triangles over the whole window: about 10 ms a frame at
// 1600x900 on llvmpipe.
constexpr ImGuiWindowFlags kTiledPanelFlags =
    ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoBackground;
// Clears the framebuffer (fb_width x fb_height pixels) with the panels' background.
void paint_panel_backgrounds(int fb_width, int fb_height);
// The tiled panels' borders, which ImGui leaves out with their backgrounds:
// outlines on the background draw list (under every window and popup).
void draw_panel_borders(const PanelLayout& l);

void draw_source_panel(UiState& ui, const PanelLayout& l);
void draw_driving_panel(UiState& ui, const PanelLayout& l);
void draw_output_panel(UiState& ui, const PanelLayout& l);
void draw_controls_panel(UiState& ui, const PanelLayout& l);
void draw_status_bar(UiState& ui, const PanelLayout& l);
void draw_help_overlay(UiState& ui);
void draw_message_banner(UiState& ui, double now);
void draw_export_dialog(UiState& ui);

// Draws `tex` fitted (aspect-correct, centred) into the available region.
// flip_v for GL render targets. Returns the image rectangle on screen.
ImVec4 draw_fitted_image(GLuint tex, int width, int height, ImVec2 avail, bool flip_v);
inline ImVec4 draw_fitted_image(const gl::Texture& tex, ImVec2 avail, bool flip_v) {
  return draw_fitted_image(tex.id(), tex.width(), tex.height(), avail, flip_v);
}

}  // namespace lp
