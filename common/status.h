#pragma once
// Status and StatusOr: the error channel of all our code. Our code does not throw; fallible
// functions return Status or StatusOr<T> (std::expected underneath).

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace common {

// Canonical error codes. The HTTP edge maps them to status codes in one table.
enum class Code {
  kOk,
  kInvalidArgument,     // the request or data is malformed (400)
  kNotFound,            // (404)
  kGone,                // deleted (410)
  kAlreadyExists,       // duplicate identity (409)
  kConflict,            // version conflict on update (409)
  kFailedPrecondition,  // If-Match or similar precondition failed (412)
  kPermissionDenied,    // (403)
  kUnauthenticated,     // (401)
  kResourceExhausted,   // limits exceeded (413 / 429)
  kUnprocessable,       // semantically invalid (422)
  kUnimplemented,       // (501)
  kUnavailable,         // shutting down or overloaded (503)
  kDeadlineExceeded,    // (504)
  kInternal,            // a bug or an environment failure (500)
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // Safe to show to the client: never contains personal data.
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
using StatusOr = std::expected<T, Status>;

inline std::unexpected<Status> Error(Code code, std::string message) {
  return std::unexpected<Status>(Status(code, std::move(message)));
}
inline std::unexpected<Status> Error(Status status) {
  return std::unexpected<Status>(std::move(status));
}

inline std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid-argument";
    case Code::kNotFound:
      return "not-found";
    case Code::kGone:
      return "gone";
    case Code::kAlreadyExists:
      return "already-exists";
    case Code::kConflict:
      return "conflict";
    case Code::kFailedPrecondition:
      return "failed-precondition";
    case Code::kPermissionDenied:
      return "permission-denied";
    case Code::kUnauthenticated:
      return "unauthenticated";
    case Code::kResourceExhausted:
      return "resource-exhausted";
    case Code::kUnprocessable:
      return "unprocessable";
    case Code::kUnimplemented:
      return "unimplemented";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kDeadlineExceeded:
      return "deadline-exceeded";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

namespace internal {
// What the propagation macros return: converts to Status and to any StatusOr<T>, so the macros
// work in functions returning either.
struct ErrorReturn {
  Status status;
  operator Status() && { return std::move(status); }  // NOLINT(google-explicit-constructor)
  template <typename T>
  operator StatusOr<T>() && {  // NOLINT(google-explicit-constructor)
    return std::unexpected<Status>(std::move(status));
  }
};
}  // namespace internal

}  // namespace common

// Propagation helpers.
#define EMG_CONCAT_INNER(a, b) a##b
#define EMG_CONCAT(a, b) EMG_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                                                              \
  do {                                                                                     \
    ::common::Status emg_status_ = (expr);                                                 \
    if (!emg_status_.ok()) return ::common::internal::ErrorReturn{std::move(emg_status_)}; \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                                           \
  auto tmp = (expr);                                                                    \
  if (!tmp.has_value()) return ::common::internal::ErrorReturn{std::move(tmp).error()}; \
  lhs = std::move(*tmp)

#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(EMG_CONCAT(emg_or_, __LINE__), lhs, expr)
