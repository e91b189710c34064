// Status and StatusOr<T>: edgerun's only error system (no exceptions in the
// core). Codes follow abseil's canonical codes so callers can branch on them:
// corrupt file -> kDataLoss, pool exhausted -> kUnavailable, and so on.
//
// Thread-safety: values; a const Status may be read from any thread.
#ifndef EDGERUN_BASE_STATUS_H_
#define EDGERUN_BASE_STATUS_H_

#include <cassert>
#include <new>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace edgerun {

enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "DataLoss: tensor 3: buffer 7 has 12 bytes, shape [4,4] needs 16".
  std::string ToString() const;

  // Returns a copy with "context: " put before the message (no-op when OK).
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status DataLossError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status OutOfRangeError(std::string message);
Status UnavailableError(std::string message);
Status DeadlineExceededError(std::string message);
Status CancelledError(std::string message);
Status AbortedError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);

std::ostream& operator<<(std::ostream& os, const Status& status);

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) {  // NOLINT: implicit
    assert(!status_.ok() && "StatusOr built from an OK Status has no value");
    if (status_.ok()) status_ = InternalError("StatusOr built from OK status");
  }
  StatusOr(Status&& status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "StatusOr built from an OK Status has no value");
    if (status_.ok()) status_ = InternalError("StatusOr built from OK status");
  }
  StatusOr(const T& value) : value_(value) {}       // NOLINT: implicit
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT: implicit
  template <typename U>
    requires(std::is_constructible_v<T, U&&> &&
             !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Status> &&
             !std::is_same_v<std::decay_t<U>, StatusOr<T>>)
  StatusOr(U&& value) : value_(std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T& value() & {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;  // OK exactly when value_ is set
  std::optional<T> value_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

}  // namespace edgerun

#define EDGERUN_CONCAT_INNER_(a, b) a##b
#define EDGERUN_CONCAT_(a, b) EDGERUN_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
// Variadic so that template arguments with commas need no parentheses.
#define RETURN_IF_ERROR(...)                                           \
  do {                                                                 \
    const ::edgerun::Status edgerun_status_ =                          \
        ::edgerun::internal::AsStatus(__VA_ARGS__);                    \
    if (!edgerun_status_.ok()) return edgerun_status_;                 \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a StatusOr or returns
// its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(EDGERUN_CONCAT_(statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // EDGERUN_BASE_STATUS_H_
