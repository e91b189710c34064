// Semantic checks of a TFLite model, run after the FlatBuffers verifier has
// proved every offset and vector in bounds. Internal to the format layer.
#ifndef EDGERUN_FORMAT_MODEL_VERIFIER_H_
#define EDGERUN_FORMAT_MODEL_VERIFIER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "format/tflite_generated.h"

namespace edgerun::format_internal {

// Checks everything the FlatBuffers verifier cannot: indices in range,
// constant sizes against shapes, quantization arrays, operator wiring and
// execution order. Appends tolerated oddities to `warnings`.
// Returns kDataLoss naming the first problem, or kUnimplemented for valid
// content edgerun does not support yet (sparse tensors). `file` is the whole
// file `model` was read from: external buffers live in it, after the
// FlatBuffer.
Status CheckModelSemantics(const tfl::Model& model,
                           std::span<const uint8_t> file,
                           std::vector<std::string>* warnings);

// The effective builtin code of an operator code: the larger of
// deprecated_builtin_code and builtin_code (old files set only the first).
int EffectiveBuiltinCode(const tfl::OperatorCode& code);

// "CONV_2D", "CUSTOM:edgetpu-custom-op", or "BUILTIN_200" for codes newer
// than this schema.
std::string OperatorCodeName(const tfl::OperatorCode& code);

}  // namespace edgerun::format_internal

#endif  // EDGERUN_FORMAT_MODEL_VERIFIER_H_
