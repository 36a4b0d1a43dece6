#include "app_options.h"

#include "session/settings.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace lp {

namespace {

// A whole decimal number in [lo, hi]: "2x", "1.5" and "" are not numbers.
bool parse_int(const char* v, long lo, long hi, int& out) {
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || errno == ERANGE || n < lo || n > hi) return false;
  out = static_cast<int>(n);
  return true;
}

}  // namespace

bool parse_camera_spec(const std::string& spec, int* index) {
  return spec.rfind("camera:", 0) == 0 && parse_int(spec.c_str() + 7, 0, 63, *index);
}

const char* app_usage() {
  return "usage: livepuppet [options]\n"
         "  --source FILE          portrait to animate (default: last one, else the astronaut)\n"
         "  --driving FILE|camera:N|none  driving input (default: last one)\n"
         "  --speed X              driving video playback speed (0.1 .. 8, default 1)\n"
         "  --engine classic|neural\n"
         "  --models DIR           exported LivePortrait models (default: models/exported in the source tree)\n"
         "  --settings FILE        settings file to use instead of the user's\n"
         "  --no-save-settings     do not write settings on exit\n"
         "  --set KEY=VALUE        set a control, e.g. --set eye_open=0 (see README)\n"
         "  --size WxH             window size (at least 800x560)\n"
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
      int camera = 0;
      if (o.driving.rfind("camera:", 0) == 0 && !parse_camera_spec(o.driving, &camera)) {
        error = std::string("--driving camera:N wants a camera number from 0 to 63, not '") + v + "'";
        return false;
      }
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
      char* end = nullptr;
      o.bench_seconds = std::strtod(v, &end);
      if (end == v || *end != '\0' || !(o.bench_seconds > 0 && o.bench_seconds <= 3600)) {
        error = std::string("--bench needs a number of seconds from 0 to 3600, not '") + v + "'";
        return false;
      }
    } else if (a == "--record") {
      o.record = true;
    } else if (a == "--no-save-settings") {
      o.no_save_settings = true;
    } else if (a == "--frames") {
      if (!(v = need(i))) return false;
      if (!parse_int(v, 1, 1000000, o.frames)) {
        error = std::string("--frames needs a whole number from 1 to 1000000, not '") + v + "'";
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
      int n = 0;
      if (!parse_int(std::string(v, colon).c_str(), 1, 1000000, n) || !colon[1]) {
        error = std::string("--screenshot-at wants N:FILE with N a frame number from 1, not '") + v + "'";
        return false;
      }
      o.screenshots_at.emplace_back(n, std::string(colon + 1));
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
      const char* x = std::strchr(v, 'x');
      if (!x || !parse_int(std::string(v, x).c_str(), Settings::kMinWindowWidth, Settings::kMaxWindowWidth, o.width) ||
          !parse_int(x + 1, Settings::kMinWindowHeight, Settings::kMaxWindowHeight, o.height)) {
        error = "--size wants WxH from " + std::to_string(Settings::kMinWindowWidth) + "x" +
                std::to_string(Settings::kMinWindowHeight) + " to " + std::to_string(Settings::kMaxWindowWidth) + "x" +
                std::to_string(Settings::kMaxWindowHeight) + ", not '" + v + "'";
        return false;
      }
    } else {
      error = "unknown option " + a;
      return false;
    }
  }
  // The headless options only act in a run that ends by itself.
  if (o.frames == 0 && (!o.screenshot.empty() || !o.output_shot.empty() || !o.screenshots_at.empty())) {
    error = "--screenshot, --screenshot-at and --output-shot need --frames N (the run that ends with them)";
    return false;
  }
  for (const auto& [n, file] : o.screenshots_at)
    if (n > o.frames) {
      error = "--screenshot-at " + std::to_string(n) + ":" + file + " is after the last frame (--frames " +
              std::to_string(o.frames) + ")";
      return false;
    }
  if (o.frames > 0 && o.bench_seconds > 0) {
    error = "--frames and --bench are two different runs: give one of them";
    return false;
  }
  return true;
}

}  // namespace lp
