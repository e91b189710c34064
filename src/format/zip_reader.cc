#include "format/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace edgerun::format_internal {
namespace {

// Record signatures and fixed sizes (PKWARE APPNOTE, section 4.3).
constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndOfCentralDirSignature = 0x06054b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr size_t kLocalHeaderBytes = 30;
constexpr size_t kCentralHeaderBytes = 46;
constexpr size_t kEndOfCentralDirBytes = 22;
constexpr size_t kZip64LocatorBytes = 20;
constexpr size_t kMaxCommentBytes = 0xffff;

constexpr uint16_t kFlagEncrypted = 0x0001;
constexpr uint16_t kFlagStrongEncryption = 0x0040;

uint16_t Load16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}

uint32_t Load32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(b[at]) |
         (static_cast<uint32_t>(b[at + 1]) << 8) |
         (static_cast<uint32_t>(b[at + 2]) << 16) |
         (static_cast<uint32_t>(b[at + 3]) << 24);
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

// Finds the end-of-central-directory record: the last position whose
// signature matches and whose comment ends exactly at the end of the bytes.
// Returns bytes.size() when there is none.
size_t FindEndOfCentralDirectory(std::span<const uint8_t> bytes) {
  if (bytes.size() < kEndOfCentralDirBytes) return bytes.size();
  const size_t last = bytes.size() - kEndOfCentralDirBytes;
  const size_t first = last > kMaxCommentBytes ? last - kMaxCommentBytes : 0;
  for (size_t pos = last + 1; pos-- > first;) {
    if (Load32(bytes, pos) != kEndOfCentralDirSignature) continue;
    const size_t comment = Load16(bytes, pos + 20);
    if (pos + kEndOfCentralDirBytes + comment == bytes.size()) return pos;
  }
  return bytes.size();
}

// Inflates a raw deflate stream into exactly `size` bytes.
StatusOr<std::vector<uint8_t>> Inflate(std::span<const uint8_t> in,
                                       uint64_t size, const std::string& what) {
  // One spare byte: a stream that fills it inflates to more than declared.
  std::vector<uint8_t> out(static_cast<size_t>(size) + 1);
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
    return ResourceExhaustedError(what + ": cannot initialise zlib");
  }
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  Status status;
  for (;;) {
    const int ret = inflate(&zs, Z_NO_FLUSH);
    if (ret == Z_STREAM_END) break;
    if (ret == Z_OK || ret == Z_BUF_ERROR) {
      // inflate stops only when input or output runs out.
      if (zs.avail_out == 0) {
        status = DataLossError(what + ": inflates to more than the declared " +
                               std::to_string(size) + " bytes");
      } else if (zs.avail_in == 0) {
        status = DataLossError(what + ": deflate stream is truncated");
      } else {
        status = DataLossError(what + ": deflate stream makes no progress");
      }
      break;
    }
    if (ret == Z_MEM_ERROR) {
      status = ResourceExhaustedError(what + ": zlib is out of memory");
    } else {
      status = DataLossError(
          what + ": deflate stream is corrupt (" +
          std::string(zs.msg != nullptr ? zs.msg
                                        : "zlib error " + std::to_string(ret)) +
          ")");
    }
    break;
  }
  const uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  RETURN_IF_ERROR(status);
  if (produced != size) {
    return DataLossError(what + ": inflates to " + std::to_string(produced) +
                         " bytes, the directory says " + std::to_string(size));
  }
  out.resize(static_cast<size_t>(size));
  return out;
}

}  // namespace

std::string ZipMethodName(uint16_t method) {
  switch (method) {
    case ZipReader::kStored:
      return "stored";
    case ZipReader::kDeflate:
      return "deflate";
    default:
      return "method " + std::to_string(method);
  }
}

StatusOr<ZipReader> ZipReader::Open(std::span<const uint8_t> bytes,
                                    const ZipLimits& limits) {
  const size_t eocd = FindEndOfCentralDirectory(bytes);
  if (eocd == bytes.size()) {
    return NotFoundError(
        "no zip archive (end-of-central-directory record) "
        "at the end of the data");
  }
  const uint16_t disk = Load16(bytes, eocd + 4);
  const uint16_t cd_disk = Load16(bytes, eocd + 6);
  const uint16_t entries_here = Load16(bytes, eocd + 8);
  const uint16_t entries_total = Load16(bytes, eocd + 10);
  const uint32_t cd_size = Load32(bytes, eocd + 12);
  const uint32_t cd_offset = Load32(bytes, eocd + 16);
  if (entries_total == 0xffff || cd_size == 0xffffffff ||
      cd_offset == 0xffffffff ||
      (eocd >= kZip64LocatorBytes &&
       Load32(bytes, eocd - kZip64LocatorBytes) == kZip64LocatorSignature)) {
    return UnimplementedError("ZIP64 archives are not supported");
  }
  if (disk != 0 || cd_disk != 0 || entries_here != entries_total) {
    return UnimplementedError("multi-disk zip archives are not supported");
  }
  if (entries_total > limits.max_entries) {
    return ResourceExhaustedError("zip archive has " +
                                  std::to_string(entries_total) +
                                  " entries, more than the limit of " +
                                  std::to_string(limits.max_entries));
  }
  if (cd_size > eocd) {
    return DataLossError("zip central directory size " +
                         std::to_string(cd_size) +
                         " is larger than the data before its end record (" +
                         std::to_string(eocd) + " bytes)");
  }
  // The central directory ends where the end record starts. Its stored
  // offset may count from the start of the archive rather than of the
  // bytes (a zip concatenated to a model); the difference is the shift.
  const uint64_t cd_actual = eocd - cd_size;
  if (cd_offset > cd_actual) {
    return DataLossError(
        "zip central directory offset " + std::to_string(cd_offset) +
        " is past its real position " + std::to_string(cd_actual));
  }
  ZipReader reader;
  reader.bytes_ = bytes;
  reader.limits_ = limits;
  reader.cd_offset_ = cd_actual;
  reader.offset_shift_ = cd_actual - cd_offset;
  reader.archive_start_ = cd_actual;
  reader.entries_.reserve(entries_total);

  size_t pos = static_cast<size_t>(cd_actual);
  const size_t cd_end = eocd;
  for (uint32_t i = 0; i < entries_total; ++i) {
    const std::string where =
        "zip central directory entry " + std::to_string(i);
    if (cd_end - pos < kCentralHeaderBytes) {
      return DataLossError(where + " runs past the end of the directory");
    }
    if (Load32(bytes, pos) != kCentralHeaderSignature) {
      return DataLossError(where + " has a bad signature 0x" +
                           Hex32(Load32(bytes, pos)));
    }
    ZipEntry e;
    e.flags = Load16(bytes, pos + 8);
    e.method = Load16(bytes, pos + 10);
    e.crc32 = Load32(bytes, pos + 16);
    const uint32_t compressed = Load32(bytes, pos + 20);
    const uint32_t uncompressed = Load32(bytes, pos + 24);
    const size_t name_len = Load16(bytes, pos + 28);
    const size_t extra_len = Load16(bytes, pos + 30);
    const size_t comment_len = Load16(bytes, pos + 32);
    const uint16_t start_disk = Load16(bytes, pos + 34);
    const uint32_t local_offset = Load32(bytes, pos + 42);
    const size_t record =
        kCentralHeaderBytes + name_len + extra_len + comment_len;
    if (cd_end - pos < record) {
      return DataLossError(where +
                           ": name, extra field or comment runs past "
                           "the end of the directory");
    }
    e.name.assign(
        reinterpret_cast<const char*>(bytes.data() + pos + kCentralHeaderBytes),
        name_len);
    if (compressed == 0xffffffff || uncompressed == 0xffffffff ||
        local_offset == 0xffffffff) {
      return UnimplementedError(where + " ('" + e.name +
                                "') needs ZIP64, which is not supported");
    }
    if (start_disk != 0) {
      return UnimplementedError("multi-disk zip archives are not supported");
    }
    e.compressed_size = compressed;
    e.uncompressed_size = uncompressed;
    e.local_header_offset = reader.offset_shift_ + local_offset;
    if (e.local_header_offset > cd_actual ||
        cd_actual - e.local_header_offset < kLocalHeaderBytes) {
      return DataLossError(where + " ('" + e.name + "'): local header offset " +
                           std::to_string(local_offset) +
                           " is not before the central directory");
    }
    reader.archive_start_ =
        std::min(reader.archive_start_, e.local_header_offset);
    reader.entries_.push_back(std::move(e));
    pos += record;
  }
  return reader;
}

const ZipEntry* ZipReader::Find(std::string_view name) const {
  for (const ZipEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

StatusOr<std::vector<uint8_t>> ZipReader::Read(std::string_view name) const {
  const ZipEntry* e = Find(name);
  if (e == nullptr) {
    return NotFoundError("no file '" + std::string(name) +
                         "' in the zip archive");
  }
  return Read(*e);
}

StatusOr<std::vector<uint8_t>> ZipReader::Read(const ZipEntry& e) const {
  const std::string what = "zip member '" + e.name + "'";
  if ((e.flags & (kFlagEncrypted | kFlagStrongEncryption)) != 0) {
    return UnimplementedError(what + " is encrypted");
  }
  if (e.method != kStored && e.method != kDeflate) {
    return UnimplementedError(what + " uses compression " +
                              ZipMethodName(e.method) +
                              "; only stored and deflate are supported");
  }
  if (e.uncompressed_size > limits_.max_entry_bytes) {
    return ResourceExhaustedError(
        what + " is " + std::to_string(e.uncompressed_size) +
        " bytes uncompressed, more than the limit of " +
        std::to_string(limits_.max_entry_bytes));
  }
  // The local header and the data must lie before the central directory.
  const uint64_t lho = e.local_header_offset;
  if (lho > cd_offset_ || cd_offset_ - lho < kLocalHeaderBytes) {
    return DataLossError(what + ": local header is outside the archive");
  }
  const size_t at = static_cast<size_t>(lho);
  if (Load32(bytes_, at) != kLocalHeaderSignature) {
    return DataLossError(what + ": local header has a bad signature 0x" +
                         Hex32(Load32(bytes_, at)));
  }
  const uint64_t name_len = Load16(bytes_, at + 26);
  const uint64_t extra_len = Load16(bytes_, at + 28);
  const uint64_t data_start = lho + kLocalHeaderBytes + name_len + extra_len;
  if (data_start > cd_offset_ || cd_offset_ - data_start < e.compressed_size) {
    return DataLossError(what + ": data (" + std::to_string(e.compressed_size) +
                         " bytes) runs into the central directory");
  }
  if (name_len != e.name.size() ||
      std::memcmp(bytes_.data() + at + kLocalHeaderBytes, e.name.data(),
                  e.name.size()) != 0) {
    return DataLossError(what + ": local header names a different file");
  }
  const std::span<const uint8_t> data = bytes_.subspan(
      static_cast<size_t>(data_start), static_cast<size_t>(e.compressed_size));
  std::vector<uint8_t> out;
  if (e.method == kStored) {
    if (e.compressed_size != e.uncompressed_size) {
      return DataLossError(what + ": stored member has compressed size " +
                           std::to_string(e.compressed_size) +
                           " but uncompressed size " +
                           std::to_string(e.uncompressed_size));
    }
    out.assign(data.begin(), data.end());
  } else {
    ASSIGN_OR_RETURN(out, Inflate(data, e.uncompressed_size, what));
  }
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), out.data(), static_cast<uInt>(out.size())));
  if (crc != e.crc32) {
    return DataLossError(what + ": CRC-32 mismatch (stored " + Hex32(e.crc32) +
                         ", computed " + Hex32(crc) + ")");
  }
  return out;
}

}  // namespace edgerun::format_internal
