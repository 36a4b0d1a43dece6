#include "cli_options.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace lp::cli {

bool parse_int_option(const char* command, const char* option, const std::string& text, long long lo, long long hi,
                      long long* out) {
  char* end = nullptr;
  errno = 0;
  const long long v = text.empty() || std::isspace(static_cast<unsigned char>(text[0])) ? 0
                                                                                       : std::strtoll(text.c_str(), &end, 10);
  if (end && *end == '\0' && end != text.c_str() && errno != ERANGE && v >= lo && v <= hi) {
    *out = v;
    return true;
  }
  if (hi == std::numeric_limits<long long>::max())
    std::fprintf(stderr, "%s: %s needs a whole number, %lld or more, not '%s'\n", command, option, lo, text.c_str());
  else
    std::fprintf(stderr, "%s: %s needs a whole number from %lld to %lld, not '%s'\n", command, option, lo, hi,
                 text.c_str());
  return false;
}

bool parse_real_option(const char* command, const char* option, const std::string& text, double lo, double hi,
                       double* out) {
  char* end = nullptr;
  const double v = text.empty() || std::isspace(static_cast<unsigned char>(text[0])) ? 0
                                                                                    : std::strtod(text.c_str(), &end);
  if (end && *end == '\0' && end != text.c_str() && std::isfinite(v) && v >= lo && v <= hi) {
    *out = v;
    return true;
  }
  std::fprintf(stderr, "%s: %s needs a number from %g to %g, not '%s'\n", command, option, lo, hi, text.c_str());
  return false;
}

std::string local_file(const std::string& path) {
  if (path.empty() || path[0] == '/' || path.rfind("./", 0) == 0 || path.rfind("../", 0) == 0) return path;
  return "./" + path;
}

}  // namespace lp::cli
