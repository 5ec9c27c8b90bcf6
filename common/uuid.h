#pragma once
#include <string>

namespace common {
// A random (version 4) UUID in lowercase canonical form. Thread-safe.
std::string NewUuid();
}  // namespace common
