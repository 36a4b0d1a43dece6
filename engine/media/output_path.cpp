#include "media/output_path.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace lp {

std::string unique_output_path(const std::string& folder, const std::string& stem, const std::string& ext,
                               std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = folder.empty() ? fs::path(".") : fs::path(folder);
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec)) {
    if (error) *error = "output folder '" + dir.string() + "' does not exist and cannot be created";
    return "";
  }
  const std::string dot_ext = ext.empty() ? "" : (ext[0] == '.' ? ext : "." + ext);
  for (int n = 1; n < 100000; ++n) {
    const std::string name = n == 1 ? stem + dot_ext : stem + "-" + std::to_string(n) + dot_ext;
    const fs::path p = dir / name;
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
      return p.string();
    }
    if (errno == EEXIST) continue;
    if (error) *error = "cannot create a file in '" + dir.string() + "': " + std::strerror(errno);
    return "";
  }
  if (error) *error = "no free file name for '" + stem + dot_ext + "' in '" + dir.string() + "'";
  return "";
}

std::string timestamped_stem(const std::string& prefix) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return prefix + "-" + buf;
}

}  // namespace lp
