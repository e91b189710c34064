#include "tools/edgerun/tensor_inputs.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "edgerun/io/image.h"
#include "edgerun/io/npy.h"

namespace edgerun::cli {
namespace {

int64_t NumElements(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

template <typename T>
void Append(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

// Reads element i of an npy array as double.
double NpyValue(const NpyArray& a, int64_t i) {
  switch (a.type) {
    case DataType::kFloat32: return a.data_as<float>()[i];
    case DataType::kFloat64: return a.data_as<double>()[i];
    case DataType::kUInt8: return a.data_as<uint8_t>()[i];
    case DataType::kInt8: return a.data_as<int8_t>()[i];
    case DataType::kInt16: return a.data_as<int16_t>()[i];
    case DataType::kUInt16: return a.data_as<uint16_t>()[i];
    case DataType::kInt32: return a.data_as<int32_t>()[i];
    case DataType::kUInt32: return a.data_as<uint32_t>()[i];
    case DataType::kInt64: return static_cast<double>(a.data_as<int64_t>()[i]);
    case DataType::kUInt64: return static_cast<double>(a.data_as<uint64_t>()[i]);
    case DataType::kBool: return a.data_as<uint8_t>()[i] ? 1 : 0;
    default: return 0;
  }
}

bool IsFloat(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat64;
}

// Writes `v` as one element of `type`; false when out of range.
bool AppendConverted(std::vector<uint8_t>& out, DataType type, double v) {
  auto fits = [&](double lo, double hi) { return v >= lo && v <= hi && v == std::floor(v); };
  switch (type) {
    case DataType::kFloat32: Append(out, static_cast<float>(v)); return true;
    case DataType::kFloat64: Append(out, v); return true;
    case DataType::kUInt8: if (!fits(0, 255)) return false; Append(out, static_cast<uint8_t>(v)); return true;
    case DataType::kInt8: if (!fits(-128, 127)) return false; Append(out, static_cast<int8_t>(v)); return true;
    case DataType::kInt16: if (!fits(-32768, 32767)) return false; Append(out, static_cast<int16_t>(v)); return true;
    case DataType::kUInt16: if (!fits(0, 65535)) return false; Append(out, static_cast<uint16_t>(v)); return true;
    case DataType::kInt32: if (!fits(-2147483648.0, 2147483647.0)) return false; Append(out, static_cast<int32_t>(v)); return true;
    case DataType::kUInt32: if (!fits(0, 4294967295.0)) return false; Append(out, static_cast<uint32_t>(v)); return true;
    case DataType::kInt64: if (!fits(-9.2e18, 9.2e18)) return false; Append(out, static_cast<int64_t>(v)); return true;
    case DataType::kBool: out.push_back(v != 0); return true;
    default: return false;
  }
}

// Quantizes a real value into the tensor's type with its (first) scale.
double Quantize(const InputSpec& spec, double real) {
  const double q = std::round(real / spec.scale[0]) +
                   static_cast<double>(spec.zero_point.empty() ? 0 : spec.zero_point[0]);
  double lo = 0, hi = 0;
  switch (spec.type) {
    case DataType::kUInt8: lo = 0; hi = 255; break;
    case DataType::kInt8: lo = -128; hi = 127; break;
    case DataType::kInt16: lo = -32768; hi = 32767; break;
    default: lo = -2147483648.0; hi = 2147483647.0;
  }
  return std::clamp(q, lo, hi);
}

}  // namespace

StatusOr<PreparedInput> RandomInput(const InputSpec& spec, uint32_t seed,
                                    int input_index) {
  uint32_t s = seed * 0x9E3779B1u + static_cast<uint32_t>(input_index + 1) * 0x85EBCA77u;
  if (s == 0) s = 0x9E3779B9u;
  auto next = [&] {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  };
  for (int k = 0; k < 8; ++k) next();
  const int64_t n = NumElements(spec.shape);
  const bool quantized = !spec.scale.empty();
  PreparedInput out;
  out.shape = spec.shape;
  out.description = "random (seed " + std::to_string(seed) + ")";
  out.bytes.reserve(static_cast<size_t>(n) * std::max<size_t>(1, DataTypeSize(spec.type)));
  for (int64_t i = 0; i < n; ++i) {
    switch (spec.type) {
      case DataType::kFloat32: {
        const float u = static_cast<float>(next() / 4294967296.0);
        Append(out.bytes, u * 2.0f - 1.0f);
        break;
      }
      case DataType::kUInt8:
      case DataType::kInt8: out.bytes.push_back(static_cast<uint8_t>(next() & 0xff)); break;
      case DataType::kInt16:
      case DataType::kUInt16: Append(out.bytes, static_cast<uint16_t>(next() & 0xffff)); break;
      case DataType::kInt32:
      case DataType::kUInt32: {
        const uint32_t r = next();
        int32_t v = static_cast<int32_t>(r % 256);
        if (quantized) {
          v = spec.type == DataType::kUInt32 ? static_cast<int32_t>(r >> 9)
                                             : (static_cast<int32_t>(r) >> 8);
        }
        Append(out.bytes, v);
        break;
      }
      case DataType::kInt64:
      case DataType::kUInt64: {
        const uint32_t r = next();
        int64_t v = r % 256;
        if (quantized) v = static_cast<int32_t>(r) >> 8;
        Append(out.bytes, v);
        break;
      }
      case DataType::kBool: out.bytes.push_back(static_cast<uint8_t>(next() & 1)); break;
      default:
        return UnimplementedError("cannot make random values for input '" + spec.name +
                                  "' of type " + std::string(DataTypeName(spec.type)));
    }
  }
  return out;
}

StatusOr<PreparedInput> PrepareImage(const std::string& path,
                                     const InputSpec& spec) {
  // Accept [1,H,W,C], [H,W,C], [1,C,H,W] and [1,H,W] / [H,W].
  std::vector<int32_t> s = spec.shape;
  if (s.size() >= 3 && s[0] == 1) s.erase(s.begin());
  int h = 0, w = 0, c = 0;
  bool chw = false;
  if (s.size() == 3 && (s[2] == 1 || s[2] == 3)) {
    h = s[0]; w = s[1]; c = s[2];
  } else if (s.size() == 3 && (s[0] == 1 || s[0] == 3)) {
    c = s[0]; h = s[1]; w = s[2]; chw = true;
  } else if (s.size() == 2) {
    h = s[0]; w = s[1]; c = 1;
  } else {
    return InvalidArgumentError("input '" + spec.name + "' does not take an image");
  }
  if (spec.type != DataType::kUInt8 && spec.type != DataType::kInt8 &&
      spec.type != DataType::kFloat32) {
    return InvalidArgumentError("input '" + spec.name + "' of type " +
                                std::string(DataTypeName(spec.type)) +
                                " does not take an image");
  }
  ASSIGN_OR_RETURN(const Image decoded, DecodeImageFile(path));
  ASSIGN_OR_RETURN(const Image image, ResizeImage(decoded, h, w, c));
  PreparedInput out;
  out.shape = spec.shape;
  out.description = path + ": " + std::to_string(decoded.width) + "x" +
                    std::to_string(decoded.height) + "x" +
                    std::to_string(decoded.channels) +
                    " -> bilinear (half-pixel) " + std::to_string(h) + "x" +
                    std::to_string(w) + "x" + std::to_string(c);
  const size_t hw = static_cast<size_t>(h) * w;
  auto pixel = [&](size_t element) {  // element index in tensor order
    if (!chw) return image.pixels[element];
    const size_t k = element / hw, p = element % hw;
    return image.pixels[p * c + k];
  };
  const std::optional<NormalizationInfo>& norm = spec.normalization;
  if (norm.has_value() && !norm->mean.empty() && !norm->std.empty()) {
    out.description += ", normalized (v - mean) / std from metadata";
  } else {
    out.description += spec.type == DataType::kUInt8   ? ", uint8 v"
                       : spec.type == DataType::kInt8  ? ", int8 v - 128"
                                                       : ", float (v - 127.5) / 127.5";
  }
  for (size_t e = 0; e < hw * c; ++e) {
    const uint8_t v = pixel(e);
    if (norm.has_value() && !norm->mean.empty() && !norm->std.empty()) {
      const size_t k = chw ? e / hw : e % c;
      const float mean = norm->mean[std::min(k, norm->mean.size() - 1)];
      const float stddev = norm->std[std::min(k, norm->std.size() - 1)];
      const double real = (static_cast<double>(v) - mean) / stddev;
      const double value = (spec.type == DataType::kFloat32 || spec.scale.empty())
                               ? real
                               : Quantize(spec, real);
      if (!AppendConverted(out.bytes, spec.type,
                           spec.type == DataType::kFloat32 ? real : std::round(value))) {
        return InvalidArgumentError("normalized pixel out of range for input '" +
                                    spec.name + "'");
      }
    } else if (spec.type == DataType::kUInt8) {
      out.bytes.push_back(v);
    } else if (spec.type == DataType::kInt8) {
      out.bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(v - 128)));
    } else {
      Append(out.bytes, (static_cast<float>(v) - 127.5f) / 127.5f);
    }
  }
  return out;
}

StatusOr<PreparedInput> LoadInputFile(const std::string& path,
                                      const InputSpec& spec) {
  if (LooksLikeImageFile(path)) return PrepareImage(path, spec);
  const size_t expected =
      static_cast<size_t>(NumElements(spec.shape)) * DataTypeSize(spec.type);
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0) {
    ASSIGN_OR_RETURN(const NpyArray array, ReadNpy(path));
    PreparedInput out;
    out.description = path + " (npy " + std::string(DataTypeName(array.type)) + ")";
    for (int64_t d : array.shape) {
      if (d > std::numeric_limits<int32_t>::max()) {
        return InvalidArgumentError(path + ": dimension too large");
      }
      out.shape.push_back(static_cast<int32_t>(d));
    }
    if (out.shape.size() != spec.shape.size()) {
      if (array.NumElements() != NumElements(spec.shape)) {
        return InvalidArgumentError(
            path + ": shape does not fit input '" + spec.name + "'");
      }
      out.shape = spec.shape;  // same element count: take the model's shape
    }
    if (array.type == spec.type) {
      out.bytes = array.data;
      return out;
    }
    const bool quantize = IsFloat(array.type) && !spec.scale.empty() &&
                          !IsFloat(spec.type);
    out.bytes.reserve(static_cast<size_t>(array.NumElements()) * DataTypeSize(spec.type));
    for (int64_t i = 0; i < array.NumElements(); ++i) {
      const double v = quantize ? Quantize(spec, NpyValue(array, i)) : NpyValue(array, i);
      if (!AppendConverted(out.bytes, spec.type, v)) {
        return InvalidArgumentError(
            path + ": element " + std::to_string(i) + " (" + std::to_string(v) +
            ") does not fit input '" + spec.name + "' of type " +
            std::string(DataTypeName(spec.type)));
      }
    }
    out.description += " converted to " + std::string(DataTypeName(spec.type));
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open '" + path + "'");
  PreparedInput out;
  out.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (out.bytes.size() != expected) {
    return InvalidArgumentError(path + ": raw input has " +
                                std::to_string(out.bytes.size()) + " bytes; input '" +
                                spec.name + "' needs " + std::to_string(expected));
  }
  out.shape = spec.shape;
  out.description = path + " (raw bytes)";
  return out;
}

}  // namespace edgerun::cli
