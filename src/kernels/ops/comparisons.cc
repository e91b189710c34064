// EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL: elementwise
// comparisons with broadcasting, bool output.
//
// dtypes as TFLite: float32, int32, int64 compare raw values; uint8/int8
// are always rescaled ((q - zero_point) * 2^8 * scale in fixed point) so
// tensors with different quantization compare by real value; int16 is
// rescaled for EQUAL/NOT_EQUAL when quantized and compared raw otherwise;
// bool only for EQUAL/NOT_EQUAL. Strings are not supported yet.
#include <cstdint>
#include <memory>

#include "format/tflite_generated.h"
#include "kernels/kernel_api.h"
#include "kernels/op_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/reference/binary_arithmetic.h"
#include "kernels/reference/broadcast.h"
#include "kernels/registry.h"

namespace edgerun::kernels {
namespace {

enum class Cmp {
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual
};

template <Cmp C, typename T>
inline bool Compare(T a, T b) {
  if constexpr (C == Cmp::kEqual) return a == b;
  if constexpr (C == Cmp::kNotEqual) return a != b;
  if constexpr (C == Cmp::kLess) return a < b;
  if constexpr (C == Cmp::kLessEqual) return a <= b;
  if constexpr (C == Cmp::kGreater) return a > b;
  if constexpr (C == Cmp::kGreaterEqual) return a >= b;
}

const char* CmpName(Cmp c) {
  switch (c) {
    case Cmp::kEqual:
      return "EQUAL";
    case Cmp::kNotEqual:
      return "NOT_EQUAL";
    case Cmp::kLess:
      return "LESS";
    case Cmp::kLessEqual:
      return "LESS_EQUAL";
    case Cmp::kGreater:
      return "GREATER";
    default:
      return "GREATER_EQUAL";
  }
}

// Ownership: none beyond its parameters. Thread-safety: one instance per
// node, used by one thread at a time.
template <Cmp C>
class ComparisonKernel final : public OpKernel {
 public:
  Status Prepare(KernelContext& ctx) override {
    RETURN_IF_ERROR(binary::PrepareBinary(ctx, DataType::kBool, &plan_));
    const Tensor& a = *ctx.input(0);
    const Tensor& b = *ctx.input(1);
    type_ = a.type;
    constexpr bool kEquality = C == Cmp::kEqual || C == Cmp::kNotEqual;
    scaled_ = false;
    switch (a.type) {
      case DataType::kFloat32:
      case DataType::kInt32:
      case DataType::kInt64:
        return OkStatus();
      case DataType::kBool:
        if (!kEquality) break;
        return OkStatus();
      case DataType::kInt16:
        if (!kEquality || !a.quant.quantized()) return OkStatus();
        [[fallthrough]];
      case DataType::kUInt8:
      case DataType::kInt8:
        // TFLite rescales 8-bit inputs even without quantization
        // parameters (scale 0: every value compares equal); do the same.
        if (a.quant.per_channel() || b.quant.per_channel()) {
          return ctx.Unimplemented("per-channel quantized inputs");
        }
        scale_a_ = reference::MakeComparisonScaling(a.quant.scale0(),
                                                    a.quant.zero_point0());
        scale_b_ = reference::MakeComparisonScaling(b.quant.scale0(),
                                                    b.quant.zero_point0());
        scaled_ = true;
        return OkStatus();
      default:
        break;
    }
    return ctx.Unimplemented(std::string(CmpName(C)) + " does not support " +
                             TypeName(a.type));
  }

  Status Eval(KernelContext& ctx) override {
    switch (type_) {
      case DataType::kFloat32:
        Raw<float>(ctx);
        break;
      case DataType::kInt32:
        Raw<int32_t>(ctx);
        break;
      case DataType::kInt64:
        Raw<int64_t>(ctx);
        break;
      case DataType::kBool:
        Raw<bool>(ctx);
        break;
      case DataType::kInt16:
        if (scaled_) {
          Scaled<int16_t>(ctx);
        } else {
          Raw<int16_t>(ctx);
        }
        break;
      case DataType::kUInt8:
        Scaled<uint8_t>(ctx);
        break;
      default:
        Scaled<int8_t>(ctx);
        break;
    }
    return OkStatus();
  }

 private:
  template <typename T>
  void Raw(KernelContext& ctx) {
    binary::EvalBroadcast<T, bool>(
        ctx, plan_, [](T x, T y) { return Compare<C, T>(x, y); });
  }

  template <typename T>
  void Scaled(KernelContext& ctx) {
    const reference::ComparisonScaling sa = scale_a_, sb = scale_b_;
    binary::EvalBroadcast<T, bool>(ctx, plan_, [=](T x, T y) {
      return Compare<C, int32_t>(sa.Apply(x), sb.Apply(y));
    });
  }

  reference::BroadcastPlan<2> plan_;
  DataType type_ = DataType::kFloat32;
  bool scaled_ = false;
  reference::ComparisonScaling scale_a_, scale_b_;
};

template <Cmp C>
void Add(KernelRegistry& registry, tfl::BuiltinOperator op) {
  registry.AddBuiltin(
      op, [] { return std::unique_ptr<OpKernel>(new ComparisonKernel<C>()); });
}

}  // namespace

void RegisterComparisonKernels(KernelRegistry& registry) {
  Add<Cmp::kEqual>(registry, tfl::BuiltinOperator_EQUAL);
  Add<Cmp::kNotEqual>(registry, tfl::BuiltinOperator_NOT_EQUAL);
  Add<Cmp::kLess>(registry, tfl::BuiltinOperator_LESS);
  Add<Cmp::kLessEqual>(registry, tfl::BuiltinOperator_LESS_EQUAL);
  Add<Cmp::kGreater>(registry, tfl::BuiltinOperator_GREATER);
  Add<Cmp::kGreaterEqual>(registry, tfl::BuiltinOperator_GREATER_EQUAL);
}

}  // namespace edgerun::kernels
