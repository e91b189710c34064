// Element types of tensors, with the TFLite wire values, and their sizes.
// Thread-safety: pure functions.
#ifndef EDGERUN_FORMAT_TYPES_H_
#define EDGERUN_FORMAT_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace edgerun {

// Same numbering as the TFLite TensorType enum.
enum class DataType : int8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kString = 5,
  kBool = 6,
  kInt16 = 7,
  kComplex64 = 8,
  kInt8 = 9,
  kFloat64 = 10,
  kComplex128 = 11,
  kUInt64 = 12,
  kResource = 13,
  kVariant = 14,
  kUInt32 = 15,
  kUInt16 = 16,
  kInt4 = 17,
  kBFloat16 = 18,
};

inline constexpr int kMaxDataTypeValue = 18;

// Lower-case numpy-style name ("float32", "uint8", "int4", "string", ...),
// or "unknown(N)" style is left to callers: returns "" for unknown values.
std::string_view DataTypeName(DataType type);
// Parses a name as returned by DataTypeName.
std::optional<DataType> DataTypeFromName(std::string_view name);
// Bytes per element; 0 for types without a fixed size (string, resource,
// variant). kInt4 reports 1: unpacked in memory, see PackedByteSize.
size_t DataTypeSize(DataType type);
// Bytes that `count` elements occupy in a model's constant buffer: like
// count * DataTypeSize, except int4, which files store two per byte.
// Returns nullopt on overflow or for types without a fixed size.
std::optional<uint64_t> ConstantByteSize(DataType type, uint64_t count);
bool IsKnownDataType(int value);

}  // namespace edgerun

#endif  // EDGERUN_FORMAT_TYPES_H_
