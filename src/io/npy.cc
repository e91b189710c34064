#include "edgerun/io/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>

namespace edgerun {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

struct Descr {
  const char* text;
  DataType type;
};
constexpr Descr kDescrs[] = {
    {"<f4", DataType::kFloat32}, {"<f2", DataType::kFloat16},
    {"<f8", DataType::kFloat64}, {"|u1", DataType::kUInt8},
    {"|i1", DataType::kInt8},    {"<i2", DataType::kInt16},
    {"<u2", DataType::kUInt16},  {"<i4", DataType::kInt32},
    {"<u4", DataType::kUInt32},  {"<i8", DataType::kInt64},
    {"<u8", DataType::kUInt64},  {"|b1", DataType::kBool},
    {"<c8", DataType::kComplex64},
};

// Value of `key` in the header dict, as the raw text after "'key':".
StatusOr<std::string> HeaderField(const std::string& header,
                                  const std::string& key) {
  const std::string quoted = "'" + key + "'";
  const size_t at = header.find(quoted);
  if (at == std::string::npos) {
    return InvalidArgumentError("npy header has no '" + key + "'");
  }
  size_t pos = header.find(':', at + quoted.size());
  if (pos == std::string::npos) return InvalidArgumentError("npy header malformed");
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  return header.substr(pos);
}

}  // namespace

int64_t NpyArray::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

StatusOr<NpyArray> ParseNpy(std::span<const uint8_t> bytes) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    return InvalidArgumentError("not a .npy file (bad magic)");
  }
  const uint8_t major = bytes[6];
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_len = bytes[8] | (bytes[9] << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return InvalidArgumentError("truncated .npy header");
    header_len = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) |
                 (static_cast<size_t>(bytes[11]) << 24);
    header_start = 12;
  } else {
    return InvalidArgumentError("unsupported .npy version " + std::to_string(major));
  }
  if (header_start + header_len > bytes.size()) {
    return InvalidArgumentError("truncated .npy header");
  }
  const std::string header(reinterpret_cast<const char*>(bytes.data()) + header_start,
                           header_len);
  NpyArray array;
  ASSIGN_OR_RETURN(const std::string descr, HeaderField(header, "descr"));
  bool found = false;
  for (const Descr& d : kDescrs) {
    if (descr.rfind(std::string("'") + d.text + "'", 0) == 0) {
      array.type = d.type;
      found = true;
    }
  }
  if (!found) {
    return InvalidArgumentError("unsupported .npy dtype " + descr.substr(0, descr.find(',')));
  }
  ASSIGN_OR_RETURN(const std::string order, HeaderField(header, "fortran_order"));
  if (order.rfind("False", 0) != 0) {
    return InvalidArgumentError("Fortran-order .npy arrays are not supported");
  }
  ASSIGN_OR_RETURN(const std::string shape_text, HeaderField(header, "shape"));
  if (shape_text.empty() || shape_text[0] != '(') {
    return InvalidArgumentError("npy header has a malformed shape");
  }
  const size_t close = shape_text.find(')');
  if (close == std::string::npos) return InvalidArgumentError("npy shape malformed");
  std::string dims = shape_text.substr(1, close - 1);
  size_t pos = 0;
  while (pos < dims.size()) {
    while (pos < dims.size() && (dims[pos] == ' ' || dims[pos] == ',')) ++pos;
    if (pos >= dims.size()) break;
    size_t end = pos;
    while (end < dims.size() && dims[end] >= '0' && dims[end] <= '9') ++end;
    if (end == pos || end - pos > 12) {
      return InvalidArgumentError("npy shape malformed: (" + dims + ")");
    }
    array.shape.push_back(std::stoll(dims.substr(pos, end - pos)));
    pos = end;
  }
  const size_t payload = bytes.size() - header_start - header_len;
  int64_t count = 1;
  for (int64_t d : array.shape) {
    if (__builtin_mul_overflow(count, d, &count)) {
      return InvalidArgumentError("npy shape overflows");
    }
  }
  const size_t expected = static_cast<size_t>(count) * DataTypeSize(array.type);
  if (payload != expected) {
    return InvalidArgumentError("npy payload has " + std::to_string(payload) +
                                " bytes, shape needs " + std::to_string(expected));
  }
  const uint8_t* begin = bytes.data() + header_start + header_len;
  array.data.assign(begin, begin + payload);
  return array;
}

StatusOr<NpyArray> ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open '" + path + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  StatusOr<NpyArray> array = ParseNpy(bytes);
  if (!array.ok()) return array.status().WithContext(path);
  return array;
}

std::vector<uint8_t> SerializeNpy(const NpyArray& array) {
  const char* descr = "<f4";
  for (const Descr& d : kDescrs) {
    if (d.type == array.type) {
      descr = d.text;
      break;
    }
  }
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i) {
    shape += std::to_string(array.shape[i]);
    shape += (array.shape.size() == 1 || i + 1 < array.shape.size()) ? "," : "";
    if (i + 1 < array.shape.size()) shape += " ";
  }
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy pads with spaces so that the data starts at a multiple of 64.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + 6);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), array.data.begin(), array.data.end());
  return out;
}

Status WriteNpy(const std::string& path, const NpyArray& array) {
  const std::vector<uint8_t> bytes = SerializeNpy(array);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InvalidArgumentError("cannot write '" + path + "'");
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) return DataLossError("short write to '" + path + "'");
  return OkStatus();
}

}  // namespace edgerun
