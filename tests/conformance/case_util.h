// Helpers the conformance case families share to describe single-operator
// cases: dtype shorthands, operand specs (model input, fixed input or
// constant), the OpCase builders and a deterministic generator for constant
// tensors. Keeping one copy keeps every family's models built the same way.
#ifndef EDGERUN_TESTS_CONFORMANCE_CASE_UTIL_H_
#define EDGERUN_TESTS_CONFORMANCE_CASE_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgerun/format/model_builder.h"
#include "tests/conformance/conformance_case.h"

namespace edgerun::conformance {

constexpr DataType kF32 = DataType::kFloat32;
constexpr DataType kU8 = DataType::kUInt8;
constexpr DataType kS8 = DataType::kInt8;
constexpr DataType kS16 = DataType::kInt16;
constexpr DataType kI32 = DataType::kInt32;
constexpr DataType kI64 = DataType::kInt64;
constexpr DataType kBool = DataType::kBool;

// One operand of a case: a model input (random or fixed values) or a
// constant baked into the model.
struct Operand {
  DataType type = kF32;
  std::vector<int32_t> shape;
  std::optional<QuantizationSpec> quant;
  std::optional<std::vector<uint8_t>> fixed;     // model input with values
  std::optional<std::vector<uint8_t>> constant;  // constant tensor
};

// A model input (or output) without quantization.
Operand In(DataType type, std::vector<int32_t> shape);
// The same, per-tensor quantized.
Operand QIn(DataType type, std::vector<int32_t> shape, float scale,
            int64_t zero_point);

// `o` with fixed input values (keeps its quantization).
template <typename V>
Operand Fixed(Operand o, const std::vector<V>& values) {
  o.fixed = ToBytes(values);
  return o;
}
// `o` as a constant tensor with these values.
template <typename V>
Operand Const(Operand o, const std::vector<V>& values) {
  o.constant = ToBytes(values);
  return o;
}

// A single-operator case: operands become model inputs "in<i>" in order
// (constants excepted), and one output "out".
ConformanceCase OpCase(std::string name, OpCode op,
                       std::vector<Operand> operands, Operand output,
                       OpOptions options = {});
// The same with several outputs, "out0", "out1", ... (a separate name: a
// braced single output would otherwise be ambiguous).
ConformanceCase OpCaseN(std::string name, OpCode op,
                        std::vector<Operand> operands,
                        std::vector<Operand> outputs, OpOptions options = {});

// Deterministic xorshift32 for constant tensors, seeded by the FNV-1a hash
// of the case name so that every platform builds the same bytes.
class Rng {
 public:
  explicit Rng(const std::string& name);
  uint32_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  int Int(int lo, int hi) {  // [lo, hi]
    return lo + static_cast<int>(Next() % static_cast<uint32_t>(hi - lo + 1));
  }
  float Float(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(Next() >> 8) / 16777216.f;
  }
  std::vector<float> Floats(size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float& x : v) x = Float(lo, hi);
    return v;
  }
  template <typename T>
  std::vector<T> Ints(size_t n, int lo, int hi) {
    std::vector<T> v(n);
    for (T& x : v) x = static_cast<T>(Int(lo, hi));
    return v;
  }

 private:
  uint32_t state_;
};

}  // namespace edgerun::conformance

#endif  // EDGERUN_TESTS_CONFORMANCE_CASE_UTIL_H_
