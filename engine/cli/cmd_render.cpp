// livepuppet-cli render: a portrait driven by a video, an image, a motion file
// or the idle motion, every frame, into an MP4 with the driving video's audio.
// Progress on stderr; Ctrl+C stops cleanly and leaves a playable file.
#include "cli_options.h"
#include "session/controls.h"
#include "session/offline_render.h"
#include "session/settings.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::atomic<bool> g_cancel{false};
void on_sigint(int) { g_cancel.store(true); }

void usage() {
  std::fprintf(stderr,
               "usage: livepuppet-cli render --source IMG --driving VIDEO|IMAGE|MOTION.json|idle --out OUT.mp4\n"
               "         [--engine classic|neural] [--models DIR] [--device auto|cpu|cuda] [--precision auto|fp32|fp16]\n"
               "         [--settings FILE] [--save-motion FILE.json] [--crf N] [--frames N] [--idle-seconds S]\n"
               "         [--quiet] [--CONTROL VALUE ...]\n"
               "controls (same names as the GUI; sliders take a number, toggles on/off, eye/lip open take 'auto'):\n");
  for (const auto& c : lp::control_specs()) {
    std::string flag = c.key;
    for (auto& ch : flag)
      if (ch == '_') ch = '-';
    std::fprintf(stderr, "  --%-22s %s\n", flag.c_str(), c.label);
  }
}

}  // namespace

int cmd_render(int argc, char** argv) {
  lp::RenderRequest rq;
  bool quiet = false;
  std::vector<std::pair<std::string, std::string>> controls;
  std::string settings_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "render: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (a == "--source") rq.source = value();
    else if (a == "--driving") rq.driving = value();
    else if (a == "--out") rq.out = value();
    else if (a == "--engine") {
      const std::string e = value();
      if (e != "classic" && e != "neural") {
        std::fprintf(stderr, "render: --engine must be classic or neural\n");
        return 2;
      }
      rq.engine = e == "neural" ? lp::EngineKind::Neural : lp::EngineKind::Classic;
    } else if (a == "--models") rq.models_dir = value();
    else if (a == "--device") controls.emplace_back("__device", value());
    else if (a == "--precision") controls.emplace_back("__precision", value());
    else if (a == "--settings") settings_file = value();
    else if (a == "--save-motion") rq.save_motion = value();
    else if (a == "--crf") {
      long long v = 0;
      if (!lp::cli::parse_int_option("render", "--crf", value(), 0, 51, &v)) return 2;  // libx264's range
      rq.crf = static_cast<int>(v);
    } else if (a == "--frames") {
      long long v = 0;  // 0: every frame
      if (!lp::cli::parse_int_option("render", "--frames", value(), 0, std::numeric_limits<long long>::max(), &v))
        return 2;
      rq.max_frames = v;
    } else if (a == "--idle-seconds") {
      // At least a few frames, at most a day (2.6 million frames at 30 fps).
      if (!lp::cli::parse_real_option("render", "--idle-seconds", value(), 0.1, 86400, &rq.idle_seconds)) return 2;
    } else if (a == "--quiet") quiet = true;
    else if (a.rfind("--", 0) == 0 && lp::find_control(a.substr(2))) controls.emplace_back(a.substr(2), value());
    else {
      std::fprintf(stderr, "render: unknown option %s\n", a.c_str());
      usage();
      return 2;
    }
  }
  if (rq.source.empty() || rq.driving.empty() || rq.out.empty()) {
    std::fprintf(stderr, "render: --source, --driving and --out are required\n");
    usage();
    return 2;
  }
  // Settings file first, then individual flags on top.
  if (!settings_file.empty()) {
    if (std::filesystem::is_directory(settings_file)) {
      std::fprintf(stderr, "render: the settings file %s is a folder\n", settings_file.c_str());
      return 2;
    }
    std::ifstream in(settings_file);
    if (!in) {
      std::fprintf(stderr, "render: cannot read settings file %s\n", settings_file.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      std::vector<std::string> adjusted;
      rq.params = lp::parameters_from_json_text(ss.str(), &adjusted);
      for (const auto& a : adjusted) std::fprintf(stderr, "render: %s: %s\n", settings_file.c_str(), a.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "render: %s: %s\n", settings_file.c_str(), e.what());
      return 2;
    }
  }
  for (const auto& [k, v] : controls) {
    if (k == "__device") { rq.params.device = v; continue; }
    if (k == "__precision") { rq.params.precision = v; continue; }
    const std::string e = lp::set_control(rq.params, k, v);
    if (!e.empty()) {
      std::fprintf(stderr, "render: %s\n", e.c_str());
      return 2;
    }
  }
  rq.params.engine = rq.engine;

  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  auto progress = [&](const lp::RenderProgress& p) {
    if (quiet) return;
    if (p.total > 0)
      std::fprintf(stderr, "\rrender: %lld/%lld frames  %.1f fps  ETA %.0f s   ", static_cast<long long>(p.done),
                   static_cast<long long>(p.total), p.fps, p.eta_s);
    else
      std::fprintf(stderr, "\rrender: %lld frames  %.1f fps   ", static_cast<long long>(p.done), p.fps);
  };
  lp::RenderResult r = lp::render_offline(rq, &g_cancel, progress);
  if (r.refused) {
    // The output or the motion file would overwrite an input or cannot be
    // written: refused before anything was loaded or written, a usage error.
    std::fprintf(stderr, "render: error: %s\n", r.error.c_str());
    return 2;
  }
  if (!quiet) std::fprintf(stderr, "\n");
  for (const std::string& note : r.notes) std::fprintf(stderr, "render: note: %s\n", note.c_str());
  if (!r.warning.empty()) std::fprintf(stderr, "render: warning: %s\n", r.warning.c_str());
  if (r.cancelled && r.error.empty()) {  // the file was finished: it holds every frame rendered
    std::fprintf(stderr, "render: stopped by the user after %lld frames; %s is playable\n",
                 static_cast<long long>(r.frames), rq.out.c_str());
    return 130;
  }
  if (!r.ok) {
    std::fprintf(stderr, "render: error: %s\n", r.error.c_str());
    // The frames in the file, not the frames rendered: after a write error
    // (disk full) the last ones rendered never reached it.
    if (r.frames_written == 1)
      std::fprintf(stderr, "render: 1 frame was written to %s\n", rq.out.c_str());
    else if (r.frames_written > 1)
      std::fprintf(stderr, "render: %lld frames were written to %s\n", static_cast<long long>(r.frames_written),
                   rq.out.c_str());
    return r.cancelled ? 130 : 1;
  }
  const char* frames_word = r.frames == 1 ? "frame" : "frames";
  if (r.still_image)
    std::printf("rendered %lld %s with %s; the last one -> %s (an image output holds one frame)\n",
                static_cast<long long>(r.frames), frames_word, r.engine_name.c_str(), rq.out.c_str());
  else
    std::printf("rendered %lld %s at %.2f fps (%.1f frames/s) with %s -> %s (audio: %s)\n",
                static_cast<long long>(r.frames), frames_word, r.video_fps, r.fps, r.engine_name.c_str(),
                rq.out.c_str(), r.audio_note.empty() ? "none" : r.audio_note.c_str());
  return r.warning.empty() ? 0 : 3;
}
