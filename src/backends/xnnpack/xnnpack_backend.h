// The XNNPACK backend: runs supported segments as one XNNPACK subgraph
// (Debian's XNNPACK 2022-02, subgraph API). See xnnpack_support.h for what
// it takes and xnnpack_program.h for how packed weights are shared between
// interpreters of one model.
//
// Ownership: the backend object is stateless (owned by the
// BackendRegistry). Thread-safety: Backend methods are thread-safe; each
// CompiledSegment is used by one interpreter thread at a time.
#ifndef EDGERUN_BACKENDS_XNNPACK_XNNPACK_BACKEND_H_
#define EDGERUN_BACKENDS_XNNPACK_XNNPACK_BACKEND_H_

#include <memory>

#include "backends/backend.h"

namespace edgerun::backends::xnnpack {

std::unique_ptr<Backend> CreateXnnpackBackend();

}  // namespace edgerun::backends::xnnpack

#endif  // EDGERUN_BACKENDS_XNNPACK_XNNPACK_BACKEND_H_
