#include "gateway/rest/http_util.h"

#include <cctype>
#include <charconv>

#include "common/log.h"
#include "fhir/json/writer.h"

namespace gateway::rest {

using common::Code;

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kNotFound:
      return 404;
    case Code::kGone:
      return 410;
    case Code::kAlreadyExists:
      return 409;
    case Code::kConflict:
      return 409;
    case Code::kFailedPrecondition:
      return 412;
    case Code::kPermissionDenied:
      return 403;
    case Code::kUnauthenticated:
      return 401;
    case Code::kResourceExhausted:
      return 413;
    case Code::kUnprocessable:
      return 422;
    case Code::kUnimplemented:
      return 501;
    case Code::kUnavailable:
      return 503;
    case Code::kDeadlineExceeded:
      return 504;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

std::string IssueCodeFor(Code code) {
  switch (code) {
    case Code::kOk:
      return "informational";
    case Code::kInvalidArgument:
      return "invalid";
    case Code::kNotFound:
      return "not-found";
    case Code::kGone:
      return "deleted";
    case Code::kAlreadyExists:
      return "duplicate";
    case Code::kConflict:
      return "conflict";
    case Code::kFailedPrecondition:
      return "conflict";
    case Code::kPermissionDenied:
      return "forbidden";
    case Code::kUnauthenticated:
      return "login";
    case Code::kResourceExhausted:
      return "too-long";
    case Code::kUnprocessable:
      return "processing";
    case Code::kUnimplemented:
      return "not-supported";
    case Code::kUnavailable:
      return "transient";
    case Code::kDeadlineExceeded:
      return "timeout";
    case Code::kInternal:
      return "exception";
  }
  return "exception";
}

HttpResponse JsonResponse(int status, const fhir::json::Value& body, const Rendering& r) {
  return RawJsonResponse(status,
                         r.pretty ? fhir::json::WritePretty(body) : fhir::json::Write(body));
}

HttpResponse RawJsonResponse(int status, std::string body) {
  HttpResponse resp;
  resp.status = status;
  resp.SetHeader("Content-Type", std::string(kFhirJson));
  resp.body = std::move(body);
  return resp;
}

HttpResponse OutcomeResponse(int status, const fhir::IssueList& issues, const Rendering& r) {
  return JsonResponse(status, fhir::MakeOperationOutcome(issues), r);
}

HttpResponse ErrorResponse(const common::Status& status, const Rendering& r,
                           std::string expression) {
  fhir::Issue issue;
  issue.severity =
      status.code() == Code::kInternal ? fhir::Severity::kFatal : fhir::Severity::kError;
  issue.code = IssueCodeFor(status.code());
  if (status.code() == Code::kInternal) {
    // Our own fault: the text may come from the database or a library (SQL, file names) and is
    // for the operators, not the client. The log has it (no personal data goes into these).
    common::log::Error("internal_error", {{"detail", status.message().substr(0, 300)}});
    issue.diagnostics = "internal error in the gateway; the details are in its log";
  } else {
    issue.diagnostics = status.message();
  }
  issue.expression = std::move(expression);
  return OutcomeResponse(HttpStatusFor(status.code()), {issue}, r);
}

std::string ETag(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

std::optional<int64_t> ParseETag(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty()) return std::nullopt;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n <= 0) return std::nullopt;
  return n;
}

std::string MediaType(std::string_view v) {
  size_t semi = v.find(';');
  if (semi != std::string_view::npos) v = v.substr(0, semi);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  std::string out(v);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsJsonMedia(std::string_view media) {
  return media == "application/fhir+json" || media == "application/json" ||
         media == "application/json+fhir";
}

}  // namespace

std::optional<HttpResponse> CheckAcceptable(const HttpRequest& request) {
  bool format_json = false;
  for (const auto& [name, value] : request.query) {
    if (name != "_format") continue;
    std::string f = MediaType(value);
    if (f == "json" || IsJsonMedia(f)) {
      format_json = true;
      continue;
    }
    HttpResponse r = ErrorResponse(common::Status(
        Code::kInvalidArgument,
        "_format is not supported: this server produces application/fhir+json only"));
    r.status = 406;
    return r;
  }
  // _format overrides the Accept header (R4 http.html#mime-type).
  if (format_json) return std::nullopt;
  std::string_view accept = request.Header("accept");
  if (accept.empty()) return std::nullopt;
  size_t start = 0;
  while (start <= accept.size()) {
    size_t comma = accept.find(',', start);
    std::string_view part = accept.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::string media = MediaType(part);
    bool zero_q =
        part.find("q=0") != std::string_view::npos && part.find("q=0.") == std::string_view::npos;
    if (!zero_q && (IsJsonMedia(media) || media == "*/*" || media == "application/*")) {
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  HttpResponse r = ErrorResponse(common::Status(
      Code::kInvalidArgument,
      "the Accept header allows no format this server produces (application/fhir+json)"));
  r.status = 406;
  return r;
}

std::optional<HttpResponse> CheckFhirContentType(const HttpRequest& request) {
  std::string media = MediaType(request.Header("content-type"));
  if (IsJsonMedia(media)) {
    std::string full = Lower(request.Header("content-type"));
    size_t cs = full.find("charset=");
    if (cs == std::string::npos) return std::nullopt;
    std::string charset = full.substr(cs + 8);
    if (charset.starts_with("utf-8") || charset.starts_with("\"utf-8\"")) return std::nullopt;
  }
  HttpResponse r = ErrorResponse(common::Status(
      Code::kInvalidArgument,
      media.empty() ? "missing Content-Type: send application/fhir+json"
                    : "unsupported Content-Type: send application/fhir+json (UTF-8)"));
  r.status = 415;
  return r;
}

}  // namespace gateway::rest
