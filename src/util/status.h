// Status and Result<T>: the one error mechanism of corral.
// Recoverable failures (bad input, I/O, unsupported, out of memory) are returned as values;
// programmer errors use CORRAL_CHECK (check.h). No exceptions cross our code.
// Depends on nothing but the standard library.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace corral {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kUnsupported,
  kOutOfMemory,
  kIo,
  kCorrupt,
  kCancelled,
  kUnavailable,
  kInternal,
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corrupt: tensor 'x': offset past end of file" style text for users.
  std::string to_string() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status ok_status() { return Status(); }

// printf-style message builder used by the error constructors below.
std::string format_string(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#define CORRAL_DEFINE_ERROR_CTOR(fn, code)                                      \
  template <typename... Args>                                                   \
  Status fn(const char* fmt, Args&&... args) {                                  \
    if constexpr (sizeof...(Args) == 0) {                                       \
      return Status(StatusCode::code, std::string(fmt));                        \
    } else {                                                                    \
      return Status(StatusCode::code, format_string(fmt, std::forward<Args>(args)...)); \
    }                                                                           \
  }

CORRAL_DEFINE_ERROR_CTOR(invalid_argument, kInvalidArgument)
CORRAL_DEFINE_ERROR_CTOR(not_found, kNotFound)
CORRAL_DEFINE_ERROR_CTOR(already_exists, kAlreadyExists)
CORRAL_DEFINE_ERROR_CTOR(unsupported, kUnsupported)
CORRAL_DEFINE_ERROR_CTOR(out_of_memory, kOutOfMemory)
CORRAL_DEFINE_ERROR_CTOR(io_error, kIo)
CORRAL_DEFINE_ERROR_CTOR(corrupt, kCorrupt)
CORRAL_DEFINE_ERROR_CTOR(cancelled, kCancelled)
CORRAL_DEFINE_ERROR_CTOR(unavailable, kUnavailable)
CORRAL_DEFINE_ERROR_CTOR(internal_error, kInternal)
#undef CORRAL_DEFINE_ERROR_CTOR

// Result<T>: a value or a non-ok Status (a small std::expected stand-in; g++ 12 has none).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "Result built from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace corral

#define CORRAL_CONCAT_INNER(a, b) a##b
#define CORRAL_CONCAT(a, b) CORRAL_CONCAT_INNER(a, b)

// Propagates a non-ok Status (or the Status of a failed Result).
#define CORRAL_TRY(expr)                                      \
  do {                                                        \
    auto&& corral_try_value_ = (expr);                        \
    if (!corral_try_value_.ok()) {                            \
      return ::corral::internal::status_of(corral_try_value_); \
    }                                                         \
  } while (0)

// auto x = ...; from a Result<T>, or return its Status.
#define CORRAL_ASSIGN_OR_RETURN(lhs, expr) \
  CORRAL_ASSIGN_OR_RETURN_IMPL(CORRAL_CONCAT(corral_result_, __LINE__), lhs, expr)
#define CORRAL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

namespace corral::internal {
inline const Status& status_of(const Status& s) { return s; }
template <typename T>
const Status& status_of(const Result<T>& r) { return r.status(); }
}  // namespace corral::internal
