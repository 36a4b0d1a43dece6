#include "ffprobe_probe.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>

namespace lp::test {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string run_command(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    if (status) *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

bool run_ffmpeg(const std::string& args) {
  int status = 0;
  run_command("ffmpeg -v error -y " + args + " 2>&1", &status);
  return status == 0;
}

bool make_faststart_copy(const std::string& src, const std::string& dst) {
  return run_ffmpeg("-i " + shell_quote(src) + " -c copy -movflags +faststart " + shell_quote(dst));
}

std::string ffprobe_value(const std::string& path, const std::string& select_streams, const std::string& entry) {
  std::string out = run_command("ffprobe -v error " +
                                (select_streams.empty() ? std::string() : "-select_streams " + select_streams + " ") +
                                "-show_entries " + entry + " -of default=nw=1:nk=1 " + shell_quote(path) + " 2>/dev/null");
  const auto nl = out.find('\n');
  if (nl != std::string::npos) out.resize(nl);
  return out;
}

namespace {
double parse_rate(const std::string& r) {
  const auto slash = r.find('/');
  if (slash == std::string::npos) return std::atof(r.c_str());
  const double num = std::atof(r.substr(0, slash).c_str()), den = std::atof(r.substr(slash + 1).c_str());
  return den > 0 ? num / den : 0.0;
}
double as_double(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return std::atof(v.get<std::string>().c_str());
  return 0.0;
}
}  // namespace

ProbeInfo ffprobe(const std::string& path) {
  ProbeInfo info;
  int status = 0;
  const std::string q = shell_quote(path);
  const std::string video = run_command(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=nb_read_frames,r_frame_rate,width,height,codec_name -of json " + q + " 2>/dev/null", &status);
  nlohmann::json j = nlohmann::json::parse(video, nullptr, false);
  if (status != 0 || j.is_discarded() || !j.contains("streams") || j["streams"].empty()) {
    info.error = "ffprobe failed (status " + std::to_string(status) + "): " + video +
                 run_command("ffprobe -v error " + q + " 2>&1");
    return info;
  }
  const auto& s = j["streams"][0];
  info.video_frames = std::int64_t(as_double(s.value("nb_read_frames", nlohmann::json("0"))));
  info.fps = parse_rate(s.value("r_frame_rate", std::string("0/1")));
  info.width = s.value("width", 0);
  info.height = s.value("height", 0);
  info.video_codec = s.value("codec_name", std::string());
  info.ok = true;

  const std::string audio = run_command(
      "ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -show_entries "
      "packet=pts_time,duration_time -of json " + q + " 2>/dev/null", &status);
  nlohmann::json a = nlohmann::json::parse(audio, nullptr, false);
  if (!a.is_discarded() && a.contains("streams") && !a["streams"].empty()) {
    info.has_audio = true;
    info.audio_codec = a["streams"][0].value("codec_name", std::string());
    if (a.contains("packets") && !a["packets"].empty()) {
      double first = 1e30, last_end = -1e30;
      for (const auto& p : a["packets"]) {
        if (!p.contains("pts_time")) continue;
        const double t = as_double(p["pts_time"]);
        const double d = p.contains("duration_time") ? as_double(p["duration_time"]) : 0.0;
        first = std::min(first, t);
        last_end = std::max(last_end, t + d);
      }
      first = std::max(first, 0.0);  // encoder priming (negative pts) is not played
      if (last_end > first) info.audio_duration_s = last_end - first;
    }
  }
  return info;
}

}  // namespace lp::test
