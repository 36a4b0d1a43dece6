#pragma once
// What every livepuppet-cli command's options share: strict number parsing
// (atoi would take "12x" as 12 and "abc" as 0, stoi throws a bare "stoi") and
// local file names that FFmpeg must not read as URLs.
#include <string>

namespace lp::cli {

// All of `text` as a whole number in [lo, hi]. On refusal prints
// "<command>: <option> needs a whole number from LO to HI, not '<text>'".
bool parse_int_option(const char* command, const char* option, const std::string& text, long long lo, long long hi,
                      long long* out);

// All of `text` as a finite decimal number in [lo, hi] ("inf", "nan" and
// "1e300" are refused by the range). Prints a refusal like parse_int_option.
bool parse_real_option(const char* command, const char* option, const std::string& text, double lo, double hi,
                       double* out);

// FFmpeg and OpenCV's FFmpeg backend read a relative name such as
// "clip:1.mp4" as a URL (protocol "clip"); "./clip:1.mp4" is a file to them
// and to the system alike, and still reads as the name the user typed.
std::string local_file(const std::string& path);

}  // namespace lp::cli
