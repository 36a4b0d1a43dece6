#include "app_options.h"

#include <cstdlib>
#include <cstring>

namespace lp {

const char* app_usage() {
  return "usage: livepuppet [options]\n"
         "  --source FILE          portrait to animate (default: last one, else the astronaut)\n"
         "  --driving FILE|camera:N|none  driving input (default: last one)\n"
         "  --speed X              driving video playback speed (0.1 .. 8, default 1)\n"
         "  --engine classic|neural\n"
         "  --models DIR           exported LivePortrait models (default models/exported)\n"
         "  --settings FILE        settings file to use instead of the user's\n"
         "  --no-save-settings     do not write settings on exit\n"
         "  --set KEY=VALUE        set a control, e.g. --set eye_open=0 (see README)\n"
         "  --size WxH             window size\n"
         "  --record               start recording with the first frame\n"
         "headless (tests, screenshots):\n"
         "  --frames N             render N engine frames, then quit\n"
         "  --screenshot FILE      save the window (PNG) at the end\n"
         "  --screenshot-at N:FILE save the window after frame N (repeatable)\n"
         "  --output-shot FILE     save the composited output image at the end\n"
         "  --bench SECONDS        run the live loop (no vsync) and print FPS, latency, stage times\n";
}

bool parse_app_options(int argc, char** argv, AppOptions& o, std::string& error) {
  auto need = [&](int& i) -> const char* {
    if (i + 1 >= argc) {
      error = std::string("missing value after ") + argv[i];
      return nullptr;
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = nullptr;
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--source") {
      if (!(v = need(i))) return false;
      o.source = v;
    } else if (a == "--driving") {
      if (!(v = need(i))) return false;
      o.driving = v;
    } else if (a == "--speed") {
      if (!(v = need(i))) return false;
      char* end = nullptr;
      o.driving_speed = std::strtod(v, &end);
      if (end == v || *end != '\0' || !(o.driving_speed >= 0.1 && o.driving_speed <= 8.0)) {
        error = std::string("--speed needs a number from 0.1 to 8, not ") + v;
        return false;
      }
    } else if (a == "--engine") {
      if (!(v = need(i))) return false;
      o.engine = v;
      if (o.engine != "classic" && o.engine != "neural") {
        error = "--engine must be classic or neural, not " + o.engine;
        return false;
      }
    } else if (a == "--models") {
      if (!(v = need(i))) return false;
      o.models_dir = v;
    } else if (a == "--settings") {
      if (!(v = need(i))) return false;
      o.settings_path = v;
    } else if (a == "--bench") {
      if (!(v = need(i))) return false;
      o.bench_seconds = std::atof(v);
      if (o.bench_seconds <= 0) {
        error = "--bench needs a number of seconds";
        return false;
      }
    } else if (a == "--record") {
      o.record = true;
    } else if (a == "--no-save-settings") {
      o.no_save_settings = true;
    } else if (a == "--frames") {
      if (!(v = need(i))) return false;
      o.frames = std::atoi(v);
      if (o.frames <= 0) {
        error = "--frames needs a positive number";
        return false;
      }
    } else if (a == "--screenshot") {
      if (!(v = need(i))) return false;
      o.screenshot = v;
    } else if (a == "--output-shot") {
      if (!(v = need(i))) return false;
      o.output_shot = v;
    } else if (a == "--screenshot-at") {
      if (!(v = need(i))) return false;
      const char* colon = std::strchr(v, ':');
      if (!colon || colon == v) {
        error = "--screenshot-at wants N:FILE";
        return false;
      }
      o.screenshots_at.emplace_back(std::atoi(std::string(v, colon).c_str()), std::string(colon + 1));
    } else if (a == "--set") {
      if (!(v = need(i))) return false;
      const char* eq = std::strchr(v, '=');
      if (!eq || eq == v) {
        error = "--set wants KEY=VALUE";
        return false;
      }
      o.set.emplace_back(std::string(v, eq), std::string(eq + 1));
    } else if (a == "--size") {
      if (!(v = need(i))) return false;
      if (std::sscanf(v, "%dx%d", &o.width, &o.height) != 2 || o.width < 320 || o.height < 240) {
        error = "--size wants WxH (at least 320x240)";
        return false;
      }
    } else {
      error = "unknown option " + a;
      return false;
    }
  }
  return true;
}

}  // namespace lp
