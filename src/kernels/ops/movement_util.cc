#include "kernels/ops/movement_util.h"

#include <limits>

#include "kernels/op_util.h"

namespace edgerun::kernels::movement {

bool IsCopyableType(DataType type) {
  switch (type) {
    case DataType::kFloat32:
    case DataType::kFloat16:
    case DataType::kBFloat16:
    case DataType::kFloat64:
    case DataType::kInt32:
    case DataType::kUInt32:
    case DataType::kUInt8:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kUInt16:
    case DataType::kInt64:
    case DataType::kUInt64:
    case DataType::kBool:
      return true;
    default:
      return false;
  }
}

bool IsQuantizedActivationType(DataType type) {
  return type == DataType::kUInt8 || type == DataType::kInt8 ||
         type == DataType::kInt16;
}

Status ReadIndexTensor(const KernelContext& ctx, const Tensor& t,
                       const char* what, std::vector<int64_t>* out,
                       bool allow_int16) {
  const int64_t n = t.NumElements();
  out->clear();
  out->reserve(static_cast<size_t>(n));
  switch (t.type) {
    case DataType::kInt32: {
      const int32_t* v = t.data_as<int32_t>();
      out->assign(v, v + n);
      return OkStatus();
    }
    case DataType::kInt64: {
      const int64_t* v = t.data_as<int64_t>();
      out->assign(v, v + n);
      return OkStatus();
    }
    case DataType::kInt16:
      if (allow_int16) {
        const int16_t* v = t.data_as<int16_t>();
        out->assign(v, v + n);
        return OkStatus();
      }
      break;
    default:
      break;
  }
  return ctx.InvalidArgument(std::string(what) + " must be int32 or int64" +
                             (allow_int16 ? " (or int16)" : "") + ", got " +
                             TypeName(t.type));
}

Status NormalizeAxis(const KernelContext& ctx, int64_t axis, int rank,
                     const char* what, int* out) {
  if (axis < -static_cast<int64_t>(rank) || axis >= rank) {
    return ctx.InvalidArgument(std::string(what) + " " + std::to_string(axis) +
                               " is out of range for rank " +
                               std::to_string(rank));
  }
  *out = static_cast<int>(axis < 0 ? axis + rank : axis);
  return OkStatus();
}

Status CheckSameType(const KernelContext& ctx, const Tensor& input,
                     const Tensor& output) {
  if (input.type != output.type) {
    return ctx.InvalidArgument("output type " + TypeName(output.type) +
                               " differs from input type " +
                               TypeName(input.type));
  }
  return OkStatus();
}

Status CheckSameQuant(const KernelContext& ctx, const Tensor& a,
                      const Tensor& b, const char* why) {
  if (a.quant.quantized() != b.quant.quantized() ||
      a.quant.scale0() != b.quant.scale0() ||
      a.quant.zero_point0() != b.quant.zero_point0()) {
    return ctx.Unimplemented(std::string(why) + ": tensors '" + a.name +
                             "' and '" + b.name +
                             "' must share scale and zero point");
  }
  return OkStatus();
}

Status CheckedShape(const KernelContext& ctx, const std::vector<int64_t>& dims,
                    const char* what, Shape* out) {
  std::vector<int32_t> d;
  d.reserve(dims.size());
  int64_t total = 1;
  for (int64_t v : dims) {
    if (v < 0 || v > std::numeric_limits<int32_t>::max()) {
      return ctx.InvalidArgument(std::string(what) + " has invalid dimension " +
                                 std::to_string(v));
    }
    if (v != 0 && total > std::numeric_limits<int32_t>::max() / v) {
      return ctx.InvalidArgument(std::string(what) + " is too large");
    }
    total *= v;
    d.push_back(static_cast<int32_t>(v));
  }
  *out = Shape(std::move(d));
  return OkStatus();
}

std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> s(shape.rank(), 1);
  for (int i = shape.rank() - 2; i >= 0; --i) {
    s[i] = s[i + 1] * shape.dim(i + 1);
  }
  return s;
}

}  // namespace edgerun::kernels::movement
