#include "backends/xnnpack/xnnpack_status.h"

#include <string>

namespace edgerun::backends::xnnpack {
namespace {

const char* XnnStatusName(xnn_status status) {
  switch (status) {
    case xnn_status_success:
      return "success";
    case xnn_status_uninitialized:
      return "uninitialized";
    case xnn_status_invalid_parameter:
      return "invalid parameter";
    case xnn_status_invalid_state:
      return "invalid state";
    case xnn_status_unsupported_parameter:
      return "unsupported parameter";
    case xnn_status_unsupported_hardware:
      return "unsupported hardware";
    case xnn_status_out_of_memory:
      return "out of memory";
  }
  return "unknown status";
}

}  // namespace

Status FromXnnStatus(xnn_status status, std::string_view what) {
  if (status == xnn_status_success) return OkStatus();
  std::string message = "XNNPACK: ";
  message.append(what);
  message += " failed: ";
  message += XnnStatusName(status);
  message += " (xnn_status " + std::to_string(static_cast<int>(status)) + ")";
  switch (status) {
    case xnn_status_invalid_parameter:
    case xnn_status_unsupported_parameter:
      return UnimplementedError(std::move(message));
    case xnn_status_out_of_memory:
      return ResourceExhaustedError(std::move(message));
    case xnn_status_uninitialized:
    case xnn_status_unsupported_hardware:
      return UnavailableError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

Status EnsureXnnpackInitialized() {
  // Function-local static: initialized once, thread-safe (C++11 magic
  // statics); XNNPACK is never deinitialized (process lifetime).
  static const xnn_status init = xnn_initialize(/*allocator=*/nullptr);
  return FromXnnStatus(init, "xnn_initialize");
}

}  // namespace edgerun::backends::xnnpack
