// Random inputs matching a Session's input tensors, for the bench programs.
#ifndef EDGERUN_BENCH_SESSION_INPUTS_H_
#define EDGERUN_BENCH_SESSION_INPUTS_H_

#include <cstdint>
#include <random>
#include <vector>

#include "edgerun/session/session.h"

namespace edgerun::bench {

// One tensor per session input, bytes drawn from a generator seeded by
// `seed` (so each client can have its own, reproducible, inputs).
inline std::vector<session::TensorData> RandomInputs(
    const session::Session& session, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<session::TensorData> inputs;
  for (const auto& info : session.inputs()) {
    session::TensorData t;
    t.type = info.type;
    t.shape = info.shape;
    size_t n = 1;
    for (int32_t d : info.shape) n *= static_cast<size_t>(d);
    t.bytes.resize(n * DataTypeSize(info.type));
    for (auto& b : t.bytes) b = static_cast<uint8_t>(rng());
    inputs.push_back(std::move(t));
  }
  return inputs;
}

}  // namespace edgerun::bench

#endif  // EDGERUN_BENCH_SESSION_INPUTS_H_
