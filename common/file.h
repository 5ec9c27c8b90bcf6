#pragma once
// Reading a whole file: configuration, code lists, seeds, test and bench data.

#include <cstddef>
#include <limits>
#include <string>

#include "common/status.h"

namespace common {

// The whole file's bytes. On failure the error's message is only the reason (the OS's words,
// "read error", or "larger than N bytes" when the file exceeds `max_bytes`), so that each
// caller names the path and the setting in its own terms.
StatusOr<std::string> ReadFile(const std::string& path,
                               size_t max_bytes = std::numeric_limits<size_t>::max());

}  // namespace common
