#include "common/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace common {

StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Error(Code::kNotFound, std::strerror(errno));
  std::string out;
  char buf[65536];
  size_t n;
  bool too_large = false;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    if (out.size() > max_bytes) {
      too_large = true;
      break;
    }
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (too_large) {
    return Error(Code::kResourceExhausted, "larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (failed) return Error(Code::kInternal, "read error");
  return out;
}

}  // namespace common
