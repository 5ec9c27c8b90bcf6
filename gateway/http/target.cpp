#include "gateway/http/target.h"

#include <cctype>

#include "common/url.h"
#include "common/uuid.h"

namespace gateway::http {
namespace {

bool IEqualsPrefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

common::StatusOr<ParsedTarget> ParseTarget(std::string_view target) {
  std::string storage;  // holds a rebuilt absolute-form target
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  ParsedTarget parsed;
  if (target == "*") {
    parsed.path = "*";
    return parsed;
  }
  if (IEqualsPrefix(target, "http://") || IEqualsPrefix(target, "https://")) {
    size_t authority = target.find("//") + 2;
    size_t path_start = target.find_first_of("/?", authority);
    target = path_start == std::string_view::npos ? std::string_view() : target.substr(path_start);
    if (target.empty() || target.front() == '?') {
      // "http://host" and "http://host?x" have the empty path, which means "/".
      // (Built with append: GCC 12 reports a false -Wrestrict for "/" + std::string at -O3.)
      storage.assign(1, '/');
      storage.append(target);
      target = storage;
    }
  }
  if (target.empty() || target.front() != '/') {
    return common::Error(common::Code::kInvalidArgument, "the request target must be a path");
  }
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  std::optional<std::string> path = common::PercentDecode(raw_path);
  if (!path) {
    return common::Error(common::Code::kInvalidArgument, "malformed percent-encoding in the path");
  }
  parsed.path = std::move(*path);
  if (parsed.path.find('\0') != std::string::npos) {
    return common::Error(common::Code::kInvalidArgument, "the path contains a NUL byte");
  }
  if (q != std::string_view::npos) {
    std::optional<common::FormPairs> query = common::ParseFormUrlEncoded(target.substr(q + 1));
    if (!query) {
      return common::Error(common::Code::kInvalidArgument,
                           "malformed percent-encoding in the query");
    }
    parsed.query = std::move(*query);
  }
  return parsed;
}

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ChooseRequestId(std::string_view client_id) {
  if (IsValidRequestId(client_id)) return std::string(client_id);
  return common::NewUuid();
}

}  // namespace gateway::http
