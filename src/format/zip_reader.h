// ZipReader: a small, defensive reader of zip archives held in memory.
//
// TFLite models with metadata carry their associated files (label lists,
// vocabularies) in a zip archive appended to the model; this reads such
// archives. It finds the end-of-central-directory record at the end of the
// bytes, reads the central directory, and extracts stored (method 0) and
// deflated (method 8) members with a CRC-32 check.
//
// Archives appended after other data work even when their offsets are
// relative to the start of the archive rather than of the file (as when a
// zip is simply concatenated to a model): the reader computes that shift
// from where the central directory really is.
//
// The bytes are untrusted. Every offset and size is checked against the
// bytes before use, the uncompressed size of a member is capped (zip bombs),
// inflation never writes past the declared size, and every failure is a
// Status (kDataLoss for malformed archives, kResourceExhausted for members
// over the cap, kUnimplemented for encryption, ZIP64 and other methods),
// never a crash. Member names are returned as stored and never used as
// paths.
//
// Ownership: a ZipReader borrows the bytes given to Open; they must outlive
// it. Thread-safety: immutable after Open; const methods may be called from
// any thread.
#ifndef EDGERUN_FORMAT_ZIP_READER_H_
#define EDGERUN_FORMAT_ZIP_READER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"

namespace edgerun::format_internal {

struct ZipLimits {
  // Largest uncompressed member that Read extracts.
  uint64_t max_entry_bytes = uint64_t{64} << 20;
  // Largest number of central directory entries accepted.
  size_t max_entries = 10'000;
};

// One member, as the central directory describes it.
struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored, 8 = deflate
  uint16_t flags = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  // Offset of the local file header within the bytes given to Open (the
  // stored offset plus offset_shift()).
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  static constexpr uint16_t kStored = 0;
  static constexpr uint16_t kDeflate = 8;

  // Reads the archive at the end of `bytes`. Returns kNotFound when the
  // bytes do not end with a zip archive (no end-of-central-directory
  // record), kDataLoss when one is there but malformed.
  static StatusOr<ZipReader> Open(std::span<const uint8_t> bytes,
                                  const ZipLimits& limits = {});

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // The first entry named exactly `name`, or nullptr.
  const ZipEntry* Find(std::string_view name) const;

  // Extracts a member and checks its size and CRC-32.
  StatusOr<std::vector<uint8_t>> Read(const ZipEntry& entry) const;
  // Find + Read; kNotFound names the missing member.
  StatusOr<std::vector<uint8_t>> Read(std::string_view name) const;

  // Added to every offset stored in the archive to get an offset within the
  // bytes: 0 when the archive's offsets count from the start of the bytes
  // (a plain zip file, or a model written by the TFLite metadata tools),
  // the size of the data before the archive when it was concatenated.
  uint64_t offset_shift() const { return offset_shift_; }
  // Offset of the first local header within the bytes (where the archive's
  // members begin), or of the central directory when there are none.
  uint64_t archive_start() const { return archive_start_; }
  // Offset of the central directory within the bytes.
  uint64_t central_directory_offset() const { return cd_offset_; }

 private:
  ZipReader() = default;

  std::span<const uint8_t> bytes_;
  ZipLimits limits_;
  std::vector<ZipEntry> entries_;
  uint64_t offset_shift_ = 0;
  uint64_t archive_start_ = 0;
  uint64_t cd_offset_ = 0;
};

// "stored", "deflate" or "method N".
std::string ZipMethodName(uint16_t method);

}  // namespace edgerun::format_internal

#endif  // EDGERUN_FORMAT_ZIP_READER_H_
