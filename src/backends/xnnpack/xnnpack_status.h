// The one place where XNNPACK's native error codes become edgerun Status,
// plus the process-wide xnn_initialize() that every XNNPACK call needs.
//
// Thread-safety: all functions are thread-safe.
#ifndef EDGERUN_BACKENDS_XNNPACK_XNNPACK_STATUS_H_
#define EDGERUN_BACKENDS_XNNPACK_XNNPACK_STATUS_H_

#include <xnnpack.h>

#include <string_view>

#include "edgerun/base/status.h"

namespace edgerun::backends::xnnpack {

// OK for xnn_status_success; otherwise a Status whose message names the
// failing call (`what`, e.g. "xnn_define_convolution_2d for node 3
// (CONV_2D)") and the XNNPACK status. invalid/unsupported parameter ->
// kUnimplemented (XNNPACK cannot run this configuration: the runtime falls
// back), out_of_memory -> kResourceExhausted, uninitialized/unsupported
// hardware -> kUnavailable, everything else -> kInternal.
Status FromXnnStatus(xnn_status status, std::string_view what);

// Calls xnn_initialize once per process (later calls return the first
// result). kUnavailable when the CPU lacks what XNNPACK needs.
Status EnsureXnnpackInitialized();

}  // namespace edgerun::backends::xnnpack

#endif  // EDGERUN_BACKENDS_XNNPACK_XNNPACK_STATUS_H_
