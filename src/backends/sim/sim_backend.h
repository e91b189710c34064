// The "sim" backend: a SIMULATED single-slot accelerator for tests and
// benchmarks of partitioning, queueing and model switching. It is not real
// hardware: it computes with edgerun's CPU kernels (so its results equal the
// CPU interpreter's) and adds the device behaviour of sim_device.h — one
// request at a time per process, a fixed latency per Execute, a cost when
// the device switches models.
//
// Support: every node the builtin CPU kernel registry has a kernel for
// (custom ops a caller added through InterpreterOptions::registry are
// refused and stay on the CPU). A node whose output shape is known only at
// run time makes the runtime move the segment to the next backend.
//
// Model identity (for the switch cost): the address of the segment's first
// operator in the model's FlatBuffer, i.e. one loaded ModelFile + subgraph +
// segment; every interpreter of one ModelFile shares it, so they do not
// pay switches against each other.
//
// Ownership: the backend object is stateless (owned by the
// BackendRegistry); each CompiledSegment owns its kernel instances and the
// buffers of its internal tensors. Thread-safety: Backend methods are
// thread-safe; a CompiledSegment is used by one interpreter thread at a
// time; the device serializes Executes across interpreters.
#ifndef EDGERUN_BACKENDS_SIM_SIM_BACKEND_H_
#define EDGERUN_BACKENDS_SIM_SIM_BACKEND_H_

#include <memory>

#include "backends/backend.h"
#include "backends/sim/sim_device.h"

namespace edgerun::backends::sim {

inline constexpr char kSimBackendName[] = "sim";

std::unique_ptr<Backend> CreateSimBackend();

}  // namespace edgerun::backends::sim

#endif  // EDGERUN_BACKENDS_SIM_SIM_BACKEND_H_
