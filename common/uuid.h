#pragma once
#include <string>

namespace common {
// A random (version 4) UUID in lowercase canonical form, from a CSPRNG. Thread-safe.
std::string NewUuid();
// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, then 74 random
// bits. Ids made this way sort roughly by creation, so the store's (type, id) indexes grow at
// their end instead of touching a random page per write. Thread-safe.
std::string NewTimeOrderedUuid();
}  // namespace common
