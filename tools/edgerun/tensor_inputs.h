// Filling model inputs for the CLI (`run`, later `bench` and `diff`):
// seeded pseudo-random tensors identical to the golden cases' `seedN`
// inputs, .npy files of any dtype, raw bytes, and images.
//
// Thread-safety: pure functions.
#ifndef EDGERUN_TOOLS_EDGERUN_TENSOR_INPUTS_H_
#define EDGERUN_TOOLS_EDGERUN_TENSOR_INPUTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/metadata.h"
#include "edgerun/format/types.h"

namespace edgerun::cli {

// What an input tensor wants.
struct InputSpec {
  std::string name;
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  std::vector<float> scale;  // empty when not quantized
  std::vector<int64_t> zero_point;
  std::optional<NormalizationInfo> normalization;  // from model metadata
};

struct PreparedInput {
  std::vector<uint8_t> bytes;   // little-endian elements of spec.type
  std::vector<int32_t> shape;   // may differ from spec.shape (npy resize)
  std::string description;      // "seed 1", "bird.bmp: 512x343 -> ..."
};

// The oracle's generator (tools/oracle/lib/random_input.mjs): xorshift32,
// one stream per input index; floats uniform in [-1, 1), 8/16-bit integers
// full range, 32/64-bit integers 0..255 (or +-2^23 when quantized).
StatusOr<PreparedInput> RandomInput(const InputSpec& spec, uint32_t seed,
                                    int input_index);

// A file: .npy (converted to the tensor's dtype: float -> quantized uses the
// tensor's scale/zero point; integers are range-checked), an image (.bmp,
// .png, .jpg; see PrepareImage), or raw bytes of exactly the tensor's size.
StatusOr<PreparedInput> LoadInputFile(const std::string& path,
                                      const InputSpec& spec);

// Image -> tensor: bilinear resize (half-pixel centers) to the input's
// [1,H,W,C] (or [1,C,H,W]) shape, then pixel values v in [0, 255] become:
//  - with metadata normalization: (v - mean) / std, then the tensor's
//    quantization (for uint8/int8 inputs) or the float value;
//  - without: uint8 -> v, int8 -> v - 128, float32 -> (v - 127.5) / 127.5
//    (the Coral / MobileNet convention the golden image cases use).
StatusOr<PreparedInput> PrepareImage(const std::string& path,
                                     const InputSpec& spec);

}  // namespace edgerun::cli

#endif  // EDGERUN_TOOLS_EDGERUN_TENSOR_INPUTS_H_
