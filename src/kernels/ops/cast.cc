// CAST between bool, integer (8 to 64 bit, signed and unsigned), float16,
// float32 and float64 tensors. Integer narrowing wraps; float -> integer
// truncates toward zero and saturates (NaN -> 0); anything -> bool is
// value != 0.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "format/tflite_generated.h"
#include "kernels/ops/unary_common.h"
#include "kernels/reference/float16.h"
#include "kernels/registry.h"

namespace edgerun::kernels::unary {
namespace {

// float -> binary16, round to nearest even.
uint16_t FloatToHalfBits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof(x));
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00 |
                                 (abs > 0x7f800000u ? 0x200 : 0));
  }
  if (abs >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00);  // overflow
  const int exponent = static_cast<int>(abs >> 23) - 127;
  if (exponent < -14) {  // subnormal half (or zero)
    if (exponent < -25) return sign;
    const uint32_t mantissa = (abs & 0x7fffff) | 0x800000;
    const int shift = -exponent - 14 + 13;  // to 10-bit subnormal mantissa
    uint32_t h = mantissa >> shift;
    const uint32_t rem = mantissa & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h =
      (static_cast<uint32_t>(exponent + 15) << 10) | ((abs >> 13) & 0x3ff);
  const uint32_t rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;  // may carry into exp
  return static_cast<uint16_t>(sign | h);
}

template <typename To, typename From>
To CastValue(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{};
  } else if constexpr (std::is_floating_point_v<From> &&
                       std::is_integral_v<To>) {
    if (std::isnan(v)) return To{0};
    const long double lo =
        static_cast<long double>(std::numeric_limits<To>::lowest());
    const long double hi =
        static_cast<long double>(std::numeric_limits<To>::max());
    const long double t = std::trunc(static_cast<long double>(v));
    if (t <= lo) return std::numeric_limits<To>::lowest();
    if (t >= hi) return std::numeric_limits<To>::max();
    return static_cast<To>(t);
  } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To>) {
    // Two's complement wrap for narrowing (defined in C++20).
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

template <typename From, typename To>
void CastArray(const From* in, To* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = CastValue<To>(in[i]);
}

template <typename From>
void CastToHalf(const From* in, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = FloatToHalfBits(static_cast<float>(in[i]));
  }
}

template <typename From>
bool CastFrom(const From* in, Tensor& output, int64_t n) {
  switch (output.type) {
    case DataType::kBool:
      CastArray(in, output.data_as<bool>(), n);
      return true;
    case DataType::kUInt8:
      CastArray(in, output.data_as<uint8_t>(), n);
      return true;
    case DataType::kInt8:
      CastArray(in, output.data_as<int8_t>(), n);
      return true;
    case DataType::kInt16:
      CastArray(in, output.data_as<int16_t>(), n);
      return true;
    case DataType::kUInt16:
      CastArray(in, output.data_as<uint16_t>(), n);
      return true;
    case DataType::kInt32:
      CastArray(in, output.data_as<int32_t>(), n);
      return true;
    case DataType::kUInt32:
      CastArray(in, output.data_as<uint32_t>(), n);
      return true;
    case DataType::kInt64:
      CastArray(in, output.data_as<int64_t>(), n);
      return true;
    case DataType::kUInt64:
      CastArray(in, output.data_as<uint64_t>(), n);
      return true;
    case DataType::kFloat32:
      CastArray(in, output.data_as<float>(), n);
      return true;
    case DataType::kFloat64:
      CastArray(in, output.data_as<double>(), n);
      return true;
    case DataType::kFloat16:
      CastToHalf(in, output.data_as<uint16_t>(), n);
      return true;
    default:
      return false;
  }
}

bool IsCastType(DataType t) {
  return TypeIn(
      t, {DataType::kBool, DataType::kUInt8, DataType::kInt8, DataType::kInt16,
          DataType::kUInt16, DataType::kInt32, DataType::kUInt32,
          DataType::kInt64, DataType::kUInt64, DataType::kFloat16,
          DataType::kFloat32, DataType::kFloat64});
}

class CastKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    const Tensor* input;
    Tensor* output;
    RETURN_IF_ERROR(GetUnaryTensors(ctx, &input, &output));
    if (!IsCastType(input->type) || !IsCastType(output->type)) {
      return ctx.Unimplemented("cast from " + TypeName(input->type) + " to " +
                               TypeName(output->type) + " is not supported");
    }
    return ctx.ResizeOutput(0, input->shape);
  }

  Status Eval(KernelContext& ctx) override {
    const Tensor* input = ctx.input(0);
    Tensor* output = ctx.output(0);
    const int64_t n = input->NumElements();
    if (n == 0) return OkStatus();
    switch (input->type) {
      case DataType::kBool:
        CastFrom(input->data_as<bool>(), *output, n);
        break;
      case DataType::kUInt8:
        CastFrom(input->data_as<uint8_t>(), *output, n);
        break;
      case DataType::kInt8:
        CastFrom(input->data_as<int8_t>(), *output, n);
        break;
      case DataType::kInt16:
        CastFrom(input->data_as<int16_t>(), *output, n);
        break;
      case DataType::kUInt16:
        CastFrom(input->data_as<uint16_t>(), *output, n);
        break;
      case DataType::kInt32:
        CastFrom(input->data_as<int32_t>(), *output, n);
        break;
      case DataType::kUInt32:
        CastFrom(input->data_as<uint32_t>(), *output, n);
        break;
      case DataType::kInt64:
        CastFrom(input->data_as<int64_t>(), *output, n);
        break;
      case DataType::kUInt64:
        CastFrom(input->data_as<uint64_t>(), *output, n);
        break;
      case DataType::kFloat32:
        CastFrom(input->data_as<float>(), *output, n);
        break;
      case DataType::kFloat64:
        CastFrom(input->data_as<double>(), *output, n);
        break;
      case DataType::kFloat16: {
        const uint16_t* in = input->data_as<uint16_t>();
        std::vector<float> tmp(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) tmp[i] = reference::HalfToFloat(in[i]);
        CastFrom(tmp.data(), *output, n);
        break;
      }
      default:
        break;
    }
    return OkStatus();
  }
};

}  // namespace

void RegisterCastKernels(KernelRegistry& registry) {
  registry.AddBuiltin(tfl::BuiltinOperator_CAST, &Make<CastKernel>);
}

}  // namespace edgerun::kernels::unary
