#pragma once
// Output file names that never overwrite: recordings and exports go to
// "<folder>/<stem>.<ext>", or "<stem>-2.<ext>", "<stem>-3.<ext>", ... when taken.
#include <string>

namespace lp {

// Returns a path in `folder` (created if missing) that did not exist and now
// does: the name is reserved by creating an empty file with O_EXCL, so two
// recordings started at the same moment cannot get the same name. Returns ""
// and sets `error` (naming the folder) when the folder cannot be created or
// written. `ext` is given without the dot ("mp4").
std::string unique_output_path(const std::string& folder, const std::string& stem, const std::string& ext,
                               std::string* error = nullptr);

// "<prefix>-YYYYMMDD-HHMMSS" in local time, a readable default stem.
std::string timestamped_stem(const std::string& prefix);

}  // namespace lp
