#include "edgerun/io/tensor_compare.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

namespace edgerun {
namespace {

template <typename T>
T Load(std::span<const uint8_t> bytes, int64_t i) {
  T v;
  std::memcpy(&v, bytes.data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
  return v;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 |
             (mant & 0x3ffu) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  return std::bit_cast<float>(bits);
}

bool IsIntegerType(DataType type) {
  switch (type) {
    case DataType::kInt4:
    case DataType::kInt8:
    case DataType::kUInt8:
    case DataType::kInt16:
    case DataType::kUInt16:
    case DataType::kInt32:
    case DataType::kUInt32:
    case DataType::kInt64:
    case DataType::kUInt64:
    case DataType::kBool:
      return true;
    default:
      return false;
  }
}

// The stored value of element i: integers exactly (as int64; uint64 above
// 2^63 wraps, which only matters for raw diffs of absurd values), floats as
// double.
struct Element {
  int64_t q = 0;
  double real = 0;
};

Element Read(const TensorValues& t, int64_t i) {
  Element e;
  switch (t.type) {
    case DataType::kFloat32:
      e.real = Load<float>(t.bytes, i);
      return e;
    case DataType::kFloat64:
      e.real = Load<double>(t.bytes, i);
      return e;
    case DataType::kFloat16:
      e.real = HalfToFloat(Load<uint16_t>(t.bytes, i));
      return e;
    case DataType::kBFloat16:
      e.real = std::bit_cast<float>(
          static_cast<uint32_t>(Load<uint16_t>(t.bytes, i)) << 16);
      return e;
    case DataType::kInt4:  // unpacked in memory, one per byte
    case DataType::kInt8:
      e.q = Load<int8_t>(t.bytes, i);
      break;
    case DataType::kUInt8:
      e.q = Load<uint8_t>(t.bytes, i);
      break;
    case DataType::kBool:
      e.q = Load<uint8_t>(t.bytes, i) != 0;
      break;
    case DataType::kInt16:
      e.q = Load<int16_t>(t.bytes, i);
      break;
    case DataType::kUInt16:
      e.q = Load<uint16_t>(t.bytes, i);
      break;
    case DataType::kInt32:
      e.q = Load<int32_t>(t.bytes, i);
      break;
    case DataType::kUInt32:
      e.q = Load<uint32_t>(t.bytes, i);
      break;
    case DataType::kInt64:
      e.q = Load<int64_t>(t.bytes, i);
      break;
    case DataType::kUInt64:
      e.q = static_cast<int64_t>(Load<uint64_t>(t.bytes, i));
      break;
    default:
      break;
  }
  e.real = static_cast<double>(e.q);
  return e;
}

// Real value of a (possibly quantized) integer element: per-tensor or per
// channel along quantized_dimension.
double Dequantize(const TensorValues& t, int64_t i, int64_t q) {
  if (t.scale.empty()) return static_cast<double>(q);
  size_t c = 0;
  if (t.scale.size() > 1) {
    int64_t inner = 1;
    const int dim = t.quantized_dimension;
    for (size_t d = static_cast<size_t>(dim) + 1; d < t.shape.size(); ++d)
      inner *= t.shape[d];
    const int64_t channels = t.shape[static_cast<size_t>(dim)];
    c = static_cast<size_t>((i / inner) % channels);
  }
  const double zp =
      c < t.zero_point.size() ? static_cast<double>(t.zero_point[c]) : 0.0;
  return static_cast<double>(t.scale[c]) * (static_cast<double>(q) - zp);
}

Status CheckReadable(const TensorValues& t, const char* which) {
  const size_t size = DataTypeSize(t.type);
  const bool numeric =
      t.type != DataType::kString && t.type != DataType::kComplex64 &&
      t.type != DataType::kComplex128 && t.type != DataType::kResource &&
      t.type != DataType::kVariant && size != 0;
  if (!numeric) {
    return InvalidArgumentError(std::string(which) + " tensor has dtype " +
                                std::string(DataTypeName(t.type)) +
                                ", which has no numeric comparison");
  }
  int64_t n = 1;
  for (int32_t d : t.shape) n *= d;
  if (t.bytes.size() != static_cast<size_t>(n) * size) {
    return InvalidArgumentError(
        std::string(which) + " tensor has " + std::to_string(t.bytes.size()) +
        " bytes, shape needs " + std::to_string(static_cast<size_t>(n) * size));
  }
  if (t.scale.size() > 1) {
    const int dim = t.quantized_dimension;
    if (dim < 0 || static_cast<size_t>(dim) >= t.shape.size() ||
        t.shape[static_cast<size_t>(dim)] !=
            static_cast<int32_t>(t.scale.size())) {
      return InvalidArgumentError(
          std::string(which) +
          " tensor's per-channel scales do not match its shape");
    }
  }
  return OkStatus();
}

std::string ShapeString(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace

Status ErrorAccumulator::Add(const TensorValues& test,
                             const TensorValues& ref) {
  RETURN_IF_ERROR(CheckReadable(test, "test"));
  RETURN_IF_ERROR(CheckReadable(ref, "reference"));
  if (test.type != ref.type) {
    return InvalidArgumentError(
        "dtype " + std::string(DataTypeName(test.type)) +
        " differs from the reference's " + std::string(DataTypeName(ref.type)));
  }
  if (test.shape != ref.shape) {
    return InvalidArgumentError("shape " + ShapeString(test.shape) +
                                " differs from the reference's " +
                                ShapeString(ref.shape));
  }
  const bool integer = IsIntegerType(test.type);
  stats_.integer = integer;
  const int64_t n =
      static_cast<int64_t>(test.bytes.size() / DataTypeSize(test.type));
  for (int64_t i = 0; i < n; ++i) {
    const Element a = Read(test, i);
    const Element b = Read(ref, i);
    double ra = a.real, rb = b.real;
    if (integer) {
      ra = Dequantize(test, i, a.q);
      rb = Dequantize(ref, i, b.q);
      const int64_t raw = a.q > b.q ? a.q - b.q : b.q - a.q;
      stats_.max_raw_diff = std::max(stats_.max_raw_diff, raw);
      if (a.q != b.q) ++stats_.mismatched;
    }
    double err = 0;
    if (std::isnan(ra) || std::isnan(rb) || std::isinf(ra) || std::isinf(rb)) {
      // Same NaN-ness / same infinity is agreement; anything else cannot be
      // measured as a finite error.
      const bool same = (std::isnan(ra) && std::isnan(rb)) || ra == rb;
      if (!same) {
        ++stats_.nan_mismatches;
        ++stats_.mismatched;
        continue;
      }
    } else {
      err = std::fabs(ra - rb);
      if (!integer && ra != rb) ++stats_.mismatched;
      if (err > tolerance_.atol + tolerance_.rtol * std::fabs(rb))
        ++stats_.out_of_tolerance;
    }
    if (stats_.elements == 0) {
      stats_.max_abs_error = stats_.min_abs_error = err;
    } else {
      stats_.max_abs_error = std::max(stats_.max_abs_error, err);
      stats_.min_abs_error = std::min(stats_.min_abs_error, err);
    }
    ++stats_.elements;
    sum_ += err;
    sum_sq_ += err * err;
  }
  ++stats_.runs;
  return OkStatus();
}

ErrorStats ErrorAccumulator::stats() const {
  ErrorStats s = stats_;
  if (s.elements > 0) {
    const double n = static_cast<double>(s.elements);
    s.mean_abs_error = sum_ / n;
    s.std_abs_error = std::sqrt(
        std::max(0.0, sum_sq_ / n - s.mean_abs_error * s.mean_abs_error));
    s.mean_abs_error =
        std::clamp(s.mean_abs_error, s.min_abs_error, s.max_abs_error);
  }
  return s;
}

bool WithinTolerance(const ErrorStats& stats, double tolerance) {
  return stats.nan_mismatches == 0 && stats.max_abs_error <= tolerance;
}

bool WithinAccumulatorTolerance(const ErrorStats& stats) {
  return stats.nan_mismatches == 0 && stats.out_of_tolerance == 0;
}

}  // namespace edgerun
