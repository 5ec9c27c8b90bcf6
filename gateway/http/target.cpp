#include "gateway/http/target.h"

#include <cctype>

#include "common/uuid.h"

namespace gateway::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IEqualsPrefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_as_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

common::StatusOr<QueryPairs> ParseQuery(std::string_view query) {
  QueryPairs pairs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view segment = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (segment.empty()) continue;
    size_t eq = segment.find('=');
    std::string_view raw_name = segment.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : segment.substr(eq + 1);
    std::string name;
    std::string value;
    if (!PercentDecode(raw_name, true, &name) || !PercentDecode(raw_value, true, &value)) {
      return common::Error(common::Code::kInvalidArgument,
                           "malformed percent-encoding in the query");
    }
    pairs.emplace_back(std::move(name), std::move(value));
  }
  return pairs;
}

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
  if (!PercentDecode(raw_path, false, &parsed.path)) {
    return common::Error(common::Code::kInvalidArgument, "malformed percent-encoding in the path");
  }
  if (parsed.path.find('\0') != std::string::npos) {
    return common::Error(common::Code::kInvalidArgument, "the path contains a NUL byte");
  }
  if (q != std::string_view::npos) {
    ASSIGN_OR_RETURN(parsed.query, ParseQuery(target.substr(q + 1)));
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

bool IsFormSearch(std::string_view method, std::string_view path, std::string_view content_type) {
  if (method != "POST") return false;
  if (path != "/_search" && !path.ends_with("/_search")) return false;
  // Media type without parameters, case-insensitive.
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) {
    media.remove_prefix(1);
  }
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  return media.size() == kForm.size() && IEqualsPrefix(media, kForm);
}

}  // namespace gateway::http
