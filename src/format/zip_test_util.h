// Test helper: writes small zip archives in memory, with a record of where
// each header went so tests can corrupt them. Test-only; header-only.
// Thread-safety: pure functions.
#ifndef EDGERUN_FORMAT_ZIP_TEST_UTIL_H_
#define EDGERUN_FORMAT_ZIP_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "format/zip_reader.h"

namespace edgerun::format_internal::ziptest {

struct TestMember {
  std::string name;
  std::string data;
  uint16_t method = ZipReader::kStored;
};

// Where the builder put each record, relative to the archive's first byte.
struct Layout {
  std::vector<size_t> local_headers;
  std::vector<size_t> central_headers;
  size_t central_directory = 0;
  size_t end_record = 0;
};

inline void Put16(std::vector<uint8_t>* out, uint32_t v) {
  out->push_back(v & 0xff);
  out->push_back((v >> 8) & 0xff);
}
inline void Put32(std::vector<uint8_t>* out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}
inline void Set16(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  (*b)[at] = v & 0xff;
  (*b)[at + 1] = (v >> 8) & 0xff;
}
inline void Set32(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  Set16(b, at, v & 0xffff);
  Set16(b, at + 2, v >> 16);
}

inline std::string RawDeflate(const std::string& data) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline uint32_t Crc(const std::string& data) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

// Builds an archive; every stored offset gets `offset_base` added (the
// position of the archive in the final file when the writer knew it, 0 for
// an archive later concatenated to other data).
inline std::vector<uint8_t> BuildZip(const std::vector<TestMember>& members,
                                     uint32_t offset_base = 0,
                                     Layout* layout = nullptr,
                                     const std::string& comment = "") {
  std::vector<uint8_t> out;
  Layout l;
  std::vector<std::string> payloads;
  for (const TestMember& m : members) {
    payloads.push_back(m.method == ZipReader::kDeflate ? RawDeflate(m.data)
                                                       : m.data);
    l.local_headers.push_back(out.size());
    Put32(&out, 0x04034b50);
    Put16(&out, 20);  // version needed
    Put16(&out, 0);   // flags
    Put16(&out, m.method);
    Put16(&out, 0);  // time
    Put16(&out, 0);  // date
    Put32(&out, Crc(m.data));
    Put32(&out, payloads.back().size());
    Put32(&out, m.data.size());
    Put16(&out, m.name.size());
    Put16(&out, 0);  // extra
    out.insert(out.end(), m.name.begin(), m.name.end());
    out.insert(out.end(), payloads.back().begin(), payloads.back().end());
  }
  l.central_directory = out.size();
  for (size_t i = 0; i < members.size(); ++i) {
    const TestMember& m = members[i];
    l.central_headers.push_back(out.size());
    Put32(&out, 0x02014b50);
    Put16(&out, 20);  // made by
    Put16(&out, 20);  // needed
    Put16(&out, 0);   // flags
    Put16(&out, m.method);
    Put16(&out, 0);
    Put16(&out, 0);
    Put32(&out, Crc(m.data));
    Put32(&out, payloads[i].size());
    Put32(&out, m.data.size());
    Put16(&out, m.name.size());
    Put16(&out, 0);  // extra
    Put16(&out, 0);  // comment
    Put16(&out, 0);  // disk
    Put16(&out, 0);  // internal attributes
    Put32(&out, 0);  // external attributes
    Put32(&out, offset_base + l.local_headers[i]);
    out.insert(out.end(), m.name.begin(), m.name.end());
  }
  l.end_record = out.size();
  Put32(&out, 0x06054b50);
  Put16(&out, 0);
  Put16(&out, 0);
  Put16(&out, members.size());
  Put16(&out, members.size());
  Put32(&out, l.end_record - l.central_directory);
  Put32(&out, offset_base + l.central_directory);
  Put16(&out, comment.size());
  out.insert(out.end(), comment.begin(), comment.end());
  if (layout != nullptr) *layout = l;
  return out;
}

inline std::string AsString(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

}  // namespace edgerun::format_internal::ziptest

#endif  // EDGERUN_FORMAT_ZIP_TEST_UTIL_H_
