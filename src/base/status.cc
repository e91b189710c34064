#include "edgerun/base/status.h"

namespace edgerun {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "Cancelled";
    case StatusCode::kUnknown: return "Unknown";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kDeadlineExceeded: return "DeadlineExceeded";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kPermissionDenied: return "PermissionDenied";
    case StatusCode::kResourceExhausted: return "ResourceExhausted";
    case StatusCode::kFailedPrecondition: return "FailedPrecondition";
    case StatusCode::kAborted: return "Aborted";
    case StatusCode::kOutOfRange: return "OutOfRange";
    case StatusCode::kUnimplemented: return "Unimplemented";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kDataLoss: return "DataLoss";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string message)
    : code_(code), message_(std::move(message)) {
  if (code_ == StatusCode::kOk) message_.clear();
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  message += ": ";
  message += message_;
  return Status(code_, std::move(message));
}

#define EDGERUN_DEFINE_ERROR_(Name, Code) \
  Status Name(std::string message) {      \
    return Status(StatusCode::Code, std::move(message)); \
  }
EDGERUN_DEFINE_ERROR_(InvalidArgumentError, kInvalidArgument)
EDGERUN_DEFINE_ERROR_(NotFoundError, kNotFound)
EDGERUN_DEFINE_ERROR_(DataLossError, kDataLoss)
EDGERUN_DEFINE_ERROR_(UnimplementedError, kUnimplemented)
EDGERUN_DEFINE_ERROR_(InternalError, kInternal)
EDGERUN_DEFINE_ERROR_(FailedPreconditionError, kFailedPrecondition)
EDGERUN_DEFINE_ERROR_(ResourceExhaustedError, kResourceExhausted)
EDGERUN_DEFINE_ERROR_(OutOfRangeError, kOutOfRange)
EDGERUN_DEFINE_ERROR_(UnavailableError, kUnavailable)
EDGERUN_DEFINE_ERROR_(DeadlineExceededError, kDeadlineExceeded)
EDGERUN_DEFINE_ERROR_(CancelledError, kCancelled)
EDGERUN_DEFINE_ERROR_(AbortedError, kAborted)
EDGERUN_DEFINE_ERROR_(AlreadyExistsError, kAlreadyExists)
EDGERUN_DEFINE_ERROR_(PermissionDeniedError, kPermissionDenied)
#undef EDGERUN_DEFINE_ERROR_

std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

}  // namespace edgerun
