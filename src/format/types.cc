#include "edgerun/format/types.h"

#include <array>

namespace edgerun {
namespace {

struct TypeInfo {
  std::string_view name;
  size_t size;
};

constexpr std::array<TypeInfo, kMaxDataTypeValue + 1> kTypes = {{
    {"float32", 4},   {"float16", 2},  {"int32", 4},      {"uint8", 1},
    {"int64", 8},     {"string", 0},   {"bool", 1},       {"int16", 2},
    {"complex64", 8}, {"int8", 1},     {"float64", 8},    {"complex128", 16},
    {"uint64", 8},    {"resource", 0}, {"variant", 0},    {"uint32", 4},
    {"uint16", 2},    {"int4", 1},     {"bfloat16", 2},
}};

}  // namespace

bool IsKnownDataType(int value) {
  return value >= 0 && value <= kMaxDataTypeValue;
}

std::string_view DataTypeName(DataType type) {
  const int v = static_cast<int>(type);
  return IsKnownDataType(v) ? kTypes[v].name : std::string_view();
}

std::optional<DataType> DataTypeFromName(std::string_view name) {
  for (size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].name == name) return static_cast<DataType>(i);
  }
  return std::nullopt;
}

size_t DataTypeSize(DataType type) {
  const int v = static_cast<int>(type);
  return IsKnownDataType(v) ? kTypes[v].size : 0;
}

std::optional<uint64_t> ConstantByteSize(DataType type, uint64_t count) {
  if (type == DataType::kInt4) return (count + 1) / 2;
  const uint64_t size = DataTypeSize(type);
  if (size == 0) return std::nullopt;
  if (count > UINT64_MAX / size) return std::nullopt;
  return count * size;
}

}  // namespace edgerun
