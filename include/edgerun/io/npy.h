// NumPy .npy files (format 1.0/2.0, little-endian, C order): read any dtype
// edgerun knows, write the same format numpy.save writes.
// Thread-safety: pure functions.
#ifndef EDGERUN_IO_NPY_H_
#define EDGERUN_IO_NPY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "edgerun/base/status.h"
#include "edgerun/format/types.h"

namespace edgerun {

struct NpyArray {
  DataType type = DataType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // raw little-endian elements, C order

  int64_t NumElements() const;
  template <typename T>
  const T* data_as() const {
    return reinterpret_cast<const T*>(data.data());
  }
};

// Errors: kInvalidArgument for malformed headers, unsupported dtypes
// (big-endian, object, Fortran order) or a payload size that does not match.
StatusOr<NpyArray> ParseNpy(std::span<const uint8_t> bytes);
StatusOr<NpyArray> ReadNpy(const std::string& path);
std::vector<uint8_t> SerializeNpy(const NpyArray& array);
Status WriteNpy(const std::string& path, const NpyArray& array);

}  // namespace edgerun

#endif  // EDGERUN_IO_NPY_H_
