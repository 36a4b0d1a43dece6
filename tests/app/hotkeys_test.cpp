// Hotkeys act on the same state the panels edit, and never fire while a text
// field has the keyboard.
#include "hotkeys.h"
#include "test_support.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

namespace {

// A Dear ImGui context without a window: enough for key handling.
class ImGuiFrame {
 public:
  ImGuiFrame() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(800, 600);
    io.IniFilename = nullptr;
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  }
  ~ImGuiFrame() { ImGui::DestroyContext(); }
  // Presses `key` (GLFW key code, as Dear ImGui 1.86's GLFW backend reports it)
  // for one frame and runs the hotkeys.
  void press(lp::UiState& ui, int key, bool ctrl = false, bool typing = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.KeysDown[key] = true;
    io.KeyCtrl = ctrl;
    io.DeltaTime = 1.f / 60.f;
    ImGui::NewFrame();
    io.WantTextInput = typing;  // what an active InputText sets
    lp::process_hotkeys(ui);
    ImGui::EndFrame();
    io.KeysDown[key] = false;
    io.KeyCtrl = false;
    ImGui::NewFrame();  // release
    ImGui::EndFrame();
  }
};

}  // namespace

TEST(Hotkeys, ActOnTheControlsAndNeverWhileTyping) {
  ImGuiFrame imgui;
  lp::Session session;
  lp::Settings settings;
  lp::UiState ui;
  ui.session = &session;
  ui.settings = &settings;

  const bool stitching = ui.params.animation.stitching;
  imgui.press(ui, GLFW_KEY_S, false, /*typing=*/true);
  EXPECT_EQ(ui.params.animation.stitching, stitching) << "S fired while typing";
  imgui.press(ui, GLFW_KEY_S);
  EXPECT_NE(ui.params.animation.stitching, stitching);
  EXPECT_TRUE(ui.params_changed);

  imgui.press(ui, GLFW_KEY_SPACE, false, true);
  EXPECT_FALSE(session.paused());
  imgui.press(ui, GLFW_KEY_SPACE);
  EXPECT_TRUE(session.paused());

  const bool mirror = ui.params.mirror_webcam;
  imgui.press(ui, GLFW_KEY_M);
  EXPECT_NE(ui.params.mirror_webcam, mirror);

  // Tab switches engines, but not to one that cannot run: without a model
  // folder (as here) it stays on the classic engine and says why.
  ASSERT_FALSE(session.stats().neural_models_present) << "this test expects no neural models";
  imgui.press(ui, GLFW_KEY_TAB);
  EXPECT_EQ(ui.params.engine, lp::EngineKind::Classic);
  ASSERT_FALSE(ui.log.empty());
  EXPECT_EQ(ui.log.back().level, lp::MessageLevel::Warning);
  EXPECT_NE(ui.log.back().text.find("Neural engine unavailable"), std::string::npos) << ui.log.back().text;

  imgui.press(ui, GLFW_KEY_F);
  EXPECT_TRUE(ui.fullscreen_output);
  imgui.press(ui, GLFW_KEY_ESCAPE);
  EXPECT_FALSE(ui.fullscreen_output);

  imgui.press(ui, GLFW_KEY_R, /*ctrl=*/true);
  EXPECT_TRUE(ui.toggle_recording_requested);

  // Ctrl+S, Ctrl+M, Ctrl+F and Ctrl+Space belong to other programs (a user
  // saving or searching in another window that sends the key here): nothing
  // toggles.
  ui.toggle_recording_requested = false;
  const bool stitching_before = ui.params.animation.stitching, mirror_before = ui.params.mirror_webcam;
  for (int key : {GLFW_KEY_S, GLFW_KEY_M, GLFW_KEY_F, GLFW_KEY_SPACE}) imgui.press(ui, key, /*ctrl=*/true);
  EXPECT_EQ(ui.params.animation.stitching, stitching_before) << "Ctrl+S toggled stitching";
  EXPECT_EQ(ui.params.mirror_webcam, mirror_before) << "Ctrl+M toggled the mirror";
  EXPECT_FALSE(ui.fullscreen_output) << "Ctrl+F toggled fullscreen";
  EXPECT_TRUE(session.paused()) << "Ctrl+Space toggled pause";
  EXPECT_FALSE(ui.toggle_recording_requested);

  imgui.press(ui, GLFW_KEY_F1);
  EXPECT_TRUE(ui.show_help);
  imgui.press(ui, GLFW_KEY_ESCAPE);
  EXPECT_FALSE(ui.show_help) << "Esc should close the help";
}
