// LivePuppet: the desktop front end. One explicit main loop, in the style of
// Dear ImGui's examples:
//   1. parse options, load settings
//   2. create the window (GLFW, OpenGL 3.3 core) and Dear ImGui
//   3. start the session (capture + engine threads) with the last inputs
//   4. loop: events -> messages -> newest engine output to GL -> panels -> swap
//   5. save settings, shut down
// The engine runs on its own threads: nothing in this loop waits for it.
#include "app_options.h"
#include "default_assets.h"
#include "hotkeys.h"
#include "live_loop_bench.h"
#include "output_renderer.h"
#include "panels/panels.h"
#include "screenshot.h"
#include "ui_state.h"

#include "core/cuda_memory.h"
#include "media/camera_source.h"
#include "session/controls.h"
#include "session/engine_factory.h"
#include "session/session.h"
#include "session/settings.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

namespace {

lp::UiState* g_ui = nullptr;  // for the GLFW drop callback (C function pointer)

// Files dropped anywhere on the window: the same path the tests drive.
void on_drop(GLFWwindow*, int count, const char** paths) {
  if (!g_ui) return;
  for (int i = 0; i < count; ++i) g_ui->session->open_dropped_file(paths[i]);
}

void on_glfw_error(int code, const char* text) { std::fprintf(stderr, "GLFW error %d: %s\n", code, text); }

// Ctrl+C in the terminal (make run) or SIGTERM from the desktop session: leave
// the loop like a closed window, so settings are saved and a recording is
// finished. The handler only sets a flag (async-signal-safe).
// A second signal ends the process the default way, in case shutdown itself
// hangs (a stalled camera driver).
volatile std::sig_atomic_t g_quit_signal = 0;
void on_quit_signal(int sig) {
  if (g_quit_signal) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  g_quit_signal = 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lp;
  prefer_expandable_cuda_segments();  // before any thread or CUDA tensor (core/cuda_memory.h)
  bound_camera_frame_wait();           // before any thread (media/camera_source.h)

  // ---- 1. Options and settings -------------------------------------------------
  AppOptions opt;
  std::string err;
  if (!parse_app_options(argc, argv, opt, err)) {
    std::fprintf(stderr, "livepuppet: %s\n%s", err.c_str(), app_usage());
    return 2;
  }
  if (opt.help) {
    std::printf("%s", app_usage());
    return 0;
  }
  const std::filesystem::path settings_path =
      opt.settings_path.empty() ? default_settings_path() : std::filesystem::path(opt.settings_path);
  SettingsLoadResult loaded = load_settings(settings_path);
  Settings settings = loaded.settings;
  if (!loaded.warning.empty()) std::fprintf(stderr, "livepuppet: %s\n", loaded.warning.c_str());
  if (!opt.engine.empty())
    settings.parameters.engine = opt.engine == "neural" ? EngineKind::Neural : EngineKind::Classic;
  // Saved absolute: a relative folder would mean another place when the app
  // is next started from another directory.
  if (!opt.models_dir.empty()) {
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(opt.models_dir, ec);
    settings.models_dir = ec ? opt.models_dir : abs.string();  // not normalised: "link/.." is the kernel's
  }
  for (const auto& [k, v] : opt.set) {
    std::string e = set_control(settings.parameters, k, v);
    if (!e.empty()) {
      std::fprintf(stderr, "livepuppet: --set %s=%s: %s\n", k.c_str(), v.c_str(), e.c_str());
      return 2;
    }
  }
  const bool headless = opt.frames > 0;
  const bool bench = opt.bench_seconds > 0;
  // The neural engine is chosen automatically when a valid model folder is
  // found and a CUDA GPU runs it, unless the command line says otherwise. On
  // the CPU it takes seconds per frame: the user is told, and Tab switches.
  std::string neural_note;
  if (opt.engine.empty() && neural_models_status(settings.models_dir).empty()) {
    if (neural_device_is_gpu(settings.parameters.device)) {
      settings.parameters.engine = EngineKind::Neural;
    } else {
      settings.parameters.engine = EngineKind::Classic;
      neural_note = "LivePortrait models found, but no CUDA GPU: the neural engine would take seconds per "
                    "frame on the CPU, so the classic engine runs. Press Tab to use neural anyway "
                    "(fine for an export).";
    }
  }

  // ---- 2. Window, OpenGL 3.3 core, Dear ImGui ----------------------------------
  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "livepuppet: cannot initialise GLFW (no display? run under xvfb-run)\n");
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  int win_w = opt.width ? opt.width : settings.window_width;
  int win_h = opt.height ? opt.height : settings.window_height;
  // A saved size larger than this screen (settings from a bigger monitor)
  // would put the Controls panel off-screen: fit it. --size is taken as given.
  if (!opt.width) {
    int mx = 0, my = 0, mw = 0, mh = 0;
    if (GLFWmonitor* m = glfwGetPrimaryMonitor()) glfwGetMonitorWorkarea(m, &mx, &my, &mw, &mh);
    if (mw > 0 && mh > 0) {
      win_w = std::max(Settings::kMinWindowWidth, std::min(win_w, mw));
      win_h = std::max(Settings::kMinWindowHeight, std::min(win_h, mh));
    }
  }
  GLFWwindow* window = glfwCreateWindow(win_w, win_h, "LivePuppet", nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "livepuppet: cannot create an OpenGL 3.3 window\n");
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  glfwSetWindowSizeLimits(window, Settings::kMinWindowWidth, Settings::kMinWindowHeight, GLFW_DONT_CARE,
                          GLFW_DONT_CARE);  // the panel layout needs this much
  glfwSwapInterval(headless || bench ? 0 : 1);  // vsync for people, as fast as possible for tests

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // our layout is computed; settings.json holds the rest
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  OutputRenderer renderer;
  if (!renderer.init(err)) {
    std::fprintf(stderr, "livepuppet: shader error:\n%s\n", err.c_str());
    return 1;
  }

  // ---- 3. Session with the inputs of last time (or the command line) -----------
  SessionConfig cfg;
  cfg.models_dir = settings.models_dir;
  cfg.background_redetect = !headless;  // deterministic tracking in headless runs
  Session session(cfg);
  UiState ui;
  ui.session = &session;
  ui.settings = &settings;
  ui.renderer = &renderer;
  ui.params = settings.parameters;
  session.set_parameters(ui.params);
  g_ui = &ui;
  glfwSetDropCallback(window, on_drop);
  if (!loaded.warning.empty()) ui.post(MessageLevel::Warning, loaded.warning, 0);
  if (!neural_note.empty()) {
    std::fprintf(stderr, "livepuppet: %s\n", neural_note.c_str());
    ui.post(MessageLevel::Info, neural_note, 0);
  }

  std::string source = !opt.source.empty() ? opt.source : settings.last_source;
  std::string missing_source;  // asked for (or last used) but gone: say so, show the default
  if (!source.empty() && !std::filesystem::exists(source)) missing_source = source;
  if (source.empty() || !missing_source.empty()) source = default_portrait_path();
  if (!missing_source.empty()) {
    const std::string m = std::string(opt.source.empty() ? "The last portrait '" : "Cannot open the portrait '") +
                          missing_source + "': no such file" +
                          (source.empty() ? std::string() : "; showing the default portrait");
    std::fprintf(stderr, "livepuppet: %s\n", m.c_str());
    ui.post(opt.source.empty() ? MessageLevel::Warning : MessageLevel::Error, m, 0);
  }
  if (!source.empty()) {
    session.open_source(source);
    std::snprintf(ui.source_path, sizeof(ui.source_path), "%s", source.c_str());
  } else {
    ui.post(MessageLevel::Warning, "No portrait yet: drop an image on the window.", 0);
  }
  const std::string driving = !opt.driving.empty() ? opt.driving : settings.last_driving;
  ui.driving_none_chosen = opt.driving == "none";
  session.set_speed(opt.driving_speed);
  if (driving.rfind("camera:", 0) == 0) {
    // --driving was checked by the option parser; settings.json may hold anything.
    if (int camera = 0; parse_camera_spec(driving, &camera))
      session.open_driving_camera(camera);
    else
      ui.post(MessageLevel::Warning, "Ignoring the saved driving input '" + driving + "' (not camera:N)", 0);
  } else if (!driving.empty() && driving != "none") {
    session.open_driving_video(driving);
    std::snprintf(ui.driving_path, sizeof(ui.driving_path), "%s", driving.c_str());
  }
  for (const auto& c : list_cameras()) {
    ui.camera_names.push_back(c.name + " (" + c.path + ")");
    ui.camera_indices.push_back(c.index);
  }
  if (headless || bench) {
    session.wait_source_idle(60.0);
    session.wait_driving_idle(30.0);
  }
  LiveLoopBench live_bench(opt.bench_seconds);
  std::signal(SIGINT, on_quit_signal);
  std::signal(SIGTERM, on_quit_signal);
  bool shot_failed = false;  // a headless run whose screenshot could not be written fails

  // ---- 4. Main loop ---------------------------------------------------------------
  std::uint64_t shown_seq = 0;
  int engine_frames = 0;
  auto last_fps_time = std::chrono::steady_clock::now();
  int fps_frames = 0;
  while (!glfwWindowShouldClose(window)) {
    // 4a. Events, then wait briefly for the next engine frame: a loop that
    //     only redraws the same picture would take CPU from the engine
    //     thread on small machines. Headless runs wait longer so that N
    //     frames means N different engine results.
    glfwPollEvents();
    if (g_quit_signal) glfwSetWindowShouldClose(window, 1);
    auto t_step = std::chrono::steady_clock::now();
    // Benchmark bookkeeping: time since t_step goes to `step` (cheap; always on).
    const auto end_step = [&](const char* step) {
      const auto t = std::chrono::steady_clock::now();
      live_bench.add_ui_step(step, std::chrono::duration<double, std::milli>(t - t_step).count());
      t_step = t;
    };
    session.wait_for_output(shown_seq, headless ? 1.0 : 1.0 / 60.0);
    end_step("wait");

    // 4b. Messages from the session (errors name the file and the reason).
    const double now = glfwGetTime();
    for (auto& m : session.take_messages()) {
      std::fprintf(stderr, "livepuppet: %s\n", m.text.c_str());
      ui.post(m.level, m.text, now);
    }

    // 4c. The newest engine output to GL (upload + paste-back / mesh warp).
    std::int64_t new_capture_ns = 0;
    if (auto out = session.latest_output(); out && out->seq != shown_seq) {
      const auto t_gl = std::chrono::steady_clock::now();
      renderer.render(*out);
      live_bench.on_engine_frame(*out, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_gl).count(),
                                 live_bench.active() ? session.stats().frames_dropped : 0);
      new_capture_ns = out->capture_ns;
      shown_seq = out->seq;
      ++engine_frames;
      session.report_displayed(out->capture_ns);
      if (opt.record && !ui.recorder.recording() && renderer.has_output() && engine_frames > 1) {
        opt.record = false;
        ui.toggle_recording_requested = true;
      }
      // Recording takes exactly what the Output panel shows.
      if (ui.recorder.recording() && renderer.has_output()) {
        std::string e = ui.recorder.push(renderer.read_output_bgr(), out->capture_ns);
        if (!e.empty()) ui.post(MessageLevel::Error, e, now);
      }
      if (out->source && out->source->path != settings.last_source) {
        settings.last_source = out->source->path;
        settings.add_recent_source(out->source->path);
      }
    }

    end_step("engine output to GL");

    // 4d. The UI: panels read the session and edit ui.params.
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    process_hotkeys(ui);
    const PanelLayout layout = compute_layout(io.DisplaySize.x, io.DisplaySize.y, ui.fullscreen_output);
    draw_panel_borders(layout);
    if (!ui.fullscreen_output) {
      draw_source_panel(ui, layout);
      draw_driving_panel(ui, layout);
      draw_controls_panel(ui, layout);
    }
    draw_output_panel(ui, layout);
    draw_status_bar(ui, layout);
    draw_help_overlay(ui);
    draw_export_dialog(ui);
    draw_message_banner(ui, now);
    ImGui::Render();
    end_step("ui build");

    // Record button / Ctrl+R; a finished export reports once.
    if (ui.toggle_recording_requested) {
      ui.toggle_recording_requested = false;
      if (ui.recorder.recording()) {
        ui.post(MessageLevel::Info, ui.recorder.stop(), now);
      } else {
        const OutputRenderer::View o = renderer.output();
        std::string e = ui.recorder.start(settings.recording, cv::Size(o.width, o.height));
        ui.post(e.empty() ? MessageLevel::Info : MessageLevel::Error, e.empty() ? "Recording..." : e, now);
        if (e.empty() && !ui.recorder.note().empty()) ui.post(MessageLevel::Info, ui.recorder.note(), now);
      }
    }
    if (RenderResult rr; ui.export_job.take_result(rr)) {
      for (const std::string& note : rr.notes) ui.post(MessageLevel::Info, "Export: " + note, now);
      if (!rr.warning.empty()) ui.post(MessageLevel::Warning, "Export: " + rr.warning, now);
      if (rr.ok)
        ui.post(MessageLevel::Info, "Exported " + rr.out + " (" + std::to_string(rr.frames) + " frames)", now);
      else if (rr.cancelled)
        ui.post(MessageLevel::Warning, "Export cancelled; " + rr.out + " holds the frames done so far", now);
      else
        ui.post(MessageLevel::Error, "Export failed: " + rr.error, now);
    }

    // 4e. Publish changed parameters as one snapshot (takes effect next frame).
    if (ui.params_changed) {
      session.set_parameters(ui.params);
      settings.parameters = ui.params;
      ui.params_changed = false;
    }

    // 4f. Draw and present: the panels' background as one clear, then ImGui.
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    paint_panel_backgrounds(fb_w, fb_h);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    end_step("draw");

    // 4g. Headless: screenshots and the frame budget.
    if (headless) {
      for (const auto& [n, file] : opt.screenshots_at)
        if (n == engine_frames && !save_window_screenshot(fb_w, fb_h, file)) shot_failed = true;
      if (engine_frames >= opt.frames) {
        if (!opt.screenshot.empty() && !save_window_screenshot(fb_w, fb_h, opt.screenshot)) shot_failed = true;
        if (!opt.output_shot.empty()) {
          if (!renderer.has_output()) {
            std::fprintf(stderr, "livepuppet: no output image to save as %s\n", opt.output_shot.c_str());
            shot_failed = true;
          } else if (!save_image(renderer.read_output_bgr(), opt.output_shot)) {
            shot_failed = true;
          }
        }
        glfwSetWindowShouldClose(window, 1);
      }
    }
    glfwSwapBuffers(window);
    end_step("swap");
    live_bench.on_displayed(new_capture_ns);
    if (live_bench.done()) {
      live_bench.print(session.stats(), session.driving_status());
      glfwSetWindowShouldClose(window, 1);
    }

    ++fps_frames;
    const auto t = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(t - last_fps_time).count();
    if (dt >= 0.5) {
      ui.display_fps = fps_frames / dt;
      fps_frames = 0;
      last_fps_time = t;
    }
  }

  // ---- 5. Save settings and shut down ------------------------------------------------
  if (ui.recorder.recording()) std::fprintf(stderr, "livepuppet: %s\n", ui.recorder.stop().c_str());
  glfwGetWindowSize(window, &settings.window_width, &settings.window_height);
  settings.parameters = ui.params;
  const DrivingStatus d = session.driving_status();
  if (d.kind == DrivingStatus::Kind::Video) settings.last_driving = d.name;
  else if (d.kind == DrivingStatus::Kind::Camera) settings.last_driving = "camera:" + std::to_string(session.driving_camera_index());
  else if (ui.driving_none_chosen) settings.last_driving = "none";
  if (!opt.no_save_settings) {
    std::string e = save_settings(settings, settings_path);
    if (!e.empty()) std::fprintf(stderr, "livepuppet: could not save settings: %s\n", e.c_str());
  }
  g_ui = nullptr;
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return shot_failed ? 1 : 0;
}
