#include "format/zip_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "format/zip_test_util.h"
#include "tests/support/shared_data.h"

namespace edgerun::format_internal {
namespace {

using ziptest::AsString;
using ziptest::BuildZip;
using ziptest::Layout;
using ziptest::Set16;
using ziptest::Set32;
using ziptest::TestMember;

std::string Text(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i)
    s += "label " + std::to_string(i) + "\n";
  s.resize(n);
  return s;
}

// Opens and reads every member; returns the first error, OK when all read.
Status OpenAndReadAll(std::span<const uint8_t> bytes,
                      const ZipLimits& limits = {}) {
  StatusOr<ZipReader> zip = ZipReader::Open(bytes, limits);
  if (!zip.ok()) return zip.status();
  for (const ZipEntry& e : zip->entries()) {
    StatusOr<std::vector<uint8_t>> data = zip->Read(e);
    if (!data.ok()) return data.status();
    if (data->size() != e.uncompressed_size) return InternalError("size");
  }
  return OkStatus();
}

// ------------------------------------------------------------------- tests

TEST(ZipReader, ReadsStoredMember) {
  const std::vector<uint8_t> zip = BuildZip({{"labels.txt", "cat\ndog\n"}});
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ(reader->entries().size(), 1u);
  const ZipEntry& e = reader->entries()[0];
  EXPECT_EQ(e.name, "labels.txt");
  EXPECT_EQ(e.method, ZipReader::kStored);
  EXPECT_EQ(e.uncompressed_size, 8u);
  EXPECT_EQ(reader->offset_shift(), 0u);
  EXPECT_EQ(reader->archive_start(), 0u);
  StatusOr<std::vector<uint8_t>> data = reader->Read("labels.txt");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(AsString(*data), "cat\ndog\n");
}

TEST(ZipReader, ReadsDeflatedMember) {
  const std::string text = Text(20000);
  const std::vector<uint8_t> zip =
      BuildZip({{"vocab.txt", text, ZipReader::kDeflate}});
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const ZipEntry& e = reader->entries()[0];
  EXPECT_EQ(e.method, ZipReader::kDeflate);
  EXPECT_LT(e.compressed_size, e.uncompressed_size);
  StatusOr<std::vector<uint8_t>> data = reader->Read(e);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(AsString(*data), text);
}

TEST(ZipReader, EmptyMembersAndEmptyArchive) {
  const std::vector<uint8_t> zip =
      BuildZip({{"a", ""}, {"b", "", ZipReader::kDeflate}, {"c", "x"}});
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ(reader->entries().size(), 3u);
  for (const char* name : {"a", "b"}) {
    StatusOr<std::vector<uint8_t>> data = reader->Read(name);
    ASSERT_TRUE(data.ok()) << name << ": " << data.status();
    EXPECT_TRUE(data->empty());
  }
  EXPECT_EQ(AsString(*reader->Read("c")), "x");

  const std::vector<uint8_t> empty = BuildZip({});
  StatusOr<ZipReader> none = ZipReader::Open(empty);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->entries().empty());
}

TEST(ZipReader, FindsMembersByExactName) {
  const std::vector<uint8_t> zip =
      BuildZip({{"one.txt", "1"},
                {"two.txt", "22", ZipReader::kDeflate},
                {"dir/three", "333"}});
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_NE(reader->Find("two.txt"), nullptr);
  EXPECT_EQ(reader->Find("TWO.TXT"), nullptr);
  EXPECT_EQ(AsString(*reader->Read("dir/three")), "333");
  EXPECT_EQ(AsString(*reader->Read("two.txt")), "22");
  StatusOr<std::vector<uint8_t>> missing = reader->Read("four.txt");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("four.txt"), std::string::npos);
}

TEST(ZipReader, KeepsTheCommentOut) {
  const std::vector<uint8_t> zip =
      BuildZip({{"f", "data"}}, 0, nullptr, std::string(300, 'c'));
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(AsString(*reader->Read("f")), "data");
}

TEST(ZipReader, AppendedWithAbsoluteOffsets) {
  // What the TFLite metadata tools write: offsets count from the file start.
  std::vector<uint8_t> file(1000, 0xab);
  const std::vector<uint8_t> zip = BuildZip({{"labels.txt", "a\nb\n"}}, 1000);
  file.insert(file.end(), zip.begin(), zip.end());
  StatusOr<ZipReader> reader = ZipReader::Open(file);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->offset_shift(), 0u);
  EXPECT_EQ(reader->archive_start(), 1000u);
  EXPECT_EQ(AsString(*reader->Read("labels.txt")), "a\nb\n");
}

TEST(ZipReader, ConcatenatedWithRelativeOffsets) {
  // `cat model.tflite labels.zip`: offsets count from the archive start.
  std::vector<uint8_t> file(777, 0x5a);
  const std::vector<uint8_t> zip =
      BuildZip({{"labels.txt", "a\nb\n"},
                {"more.txt", Text(5000), ZipReader::kDeflate}});
  file.insert(file.end(), zip.begin(), zip.end());
  StatusOr<ZipReader> reader = ZipReader::Open(file);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->offset_shift(), 777u);
  EXPECT_EQ(reader->archive_start(), 777u);
  EXPECT_EQ(AsString(*reader->Read("labels.txt")), "a\nb\n");
  EXPECT_EQ(AsString(*reader->Read("more.txt")), Text(5000));
}

TEST(ZipReader, NoArchiveIsNotFound) {
  EXPECT_EQ(ZipReader::Open({}).status().code(), StatusCode::kNotFound);
  const std::vector<uint8_t> junk(5000, 0x11);
  EXPECT_EQ(ZipReader::Open(junk).status().code(), StatusCode::kNotFound);
  // A signature whose comment length does not reach the end is not a record.
  std::vector<uint8_t> fake(100, 0);
  Set32(&fake, 50, 0x06054b50);
  Set16(&fake, 70, 3);
  EXPECT_EQ(ZipReader::Open(fake).status().code(), StatusCode::kNotFound);
}

TEST(ZipReader, CrcMismatchIsDataLoss) {
  Layout l;
  std::vector<uint8_t> zip = BuildZip({{"f", "hello"}}, 0, &l);
  zip[l.local_headers[0] + 30 + 1] ^= 0x20;  // "hEllo"
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  StatusOr<std::vector<uint8_t>> data = reader->Read("f");
  EXPECT_EQ(data.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(data.status().message().find("CRC-32"), std::string::npos)
      << data.status();
}

TEST(ZipReader, CorruptDeflateIsDataLoss) {
  Layout l;
  std::vector<uint8_t> zip =
      BuildZip({{"f", Text(3000), ZipReader::kDeflate}}, 0, &l);
  // Block type 3 is invalid in deflate.
  zip[l.local_headers[0] + 30 + 1] = 0x07;
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->Read("f").status().code(), StatusCode::kDataLoss);
}

TEST(ZipReader, TruncatedDeflateIsDataLoss) {
  Layout l;
  std::vector<uint8_t> zip =
      BuildZip({{"f", Text(3000), ZipReader::kDeflate}}, 0, &l);
  // Claim a shorter compressed size in the directory: the stream ends early.
  const size_t cd = l.central_headers[0];
  Set32(&zip, cd + 20, 10);
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  StatusOr<std::vector<uint8_t>> data = reader->Read("f");
  EXPECT_EQ(data.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(data.status().message().find("truncated"), std::string::npos)
      << data.status();
}

TEST(ZipReader, BombOverTheCapIsResourceExhausted) {
  // 8 MiB of zeros deflate to a few KiB.
  const std::string zeros(8 << 20, '\0');
  const std::vector<uint8_t> zip =
      BuildZip({{"bomb", zeros, ZipReader::kDeflate}});
  ASSERT_LT(zip.size(), 64u << 10);
  ZipLimits limits;
  limits.max_entry_bytes = 1 << 20;
  StatusOr<ZipReader> reader = ZipReader::Open(zip, limits);
  ASSERT_TRUE(reader.ok()) << reader.status();
  StatusOr<std::vector<uint8_t>> data = reader->Read("bomb");
  EXPECT_EQ(data.status().code(), StatusCode::kResourceExhausted);
  // Under the default cap it is just a big file.
  EXPECT_TRUE(OpenAndReadAll(zip).ok());
}

TEST(ZipReader, BombLyingAboutItsSizeStopsAtTheDeclaredSize) {
  Layout l;
  const std::string zeros(4 << 20, '\0');
  std::vector<uint8_t> zip =
      BuildZip({{"bomb", zeros, ZipReader::kDeflate}}, 0, &l);
  // Declare 1000 bytes: inflation must stop there, not allocate 4 MiB.
  Set32(&zip, l.central_headers[0] + 24, 1000);
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok()) << reader.status();
  StatusOr<std::vector<uint8_t>> data = reader->Read("bomb");
  EXPECT_EQ(data.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(data.status().message().find("more than the declared"),
            std::string::npos)
      << data.status();
}

TEST(ZipReader, DeflateShorterThanDeclaredIsDataLoss) {
  Layout l;
  std::vector<uint8_t> zip =
      BuildZip({{"f", Text(1000), ZipReader::kDeflate}}, 0, &l);
  Set32(&zip, l.central_headers[0] + 24, 5000);
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->Read("f").status().code(), StatusCode::kDataLoss);
}

TEST(ZipReader, StoredSizeMismatchIsDataLoss) {
  Layout l;
  std::vector<uint8_t> zip = BuildZip({{"f", "abcdef"}}, 0, &l);
  Set32(&zip, l.central_headers[0] + 24, 3);
  StatusOr<ZipReader> reader = ZipReader::Open(zip);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->Read("f").status().code(), StatusCode::kDataLoss);
}

TEST(ZipReader, MalformedDirectoryIsDataLoss) {
  Layout l;
  const std::vector<uint8_t> good =
      BuildZip({{"a", "alpha"}, {"b", "beta"}}, 0, &l);
  struct Case {
    const char* what;
    void (*patch)(std::vector<uint8_t>*, const Layout&);
  };
  const Case cases[] = {
      {"bad central signature",
       [](std::vector<uint8_t>* z, const Layout& l) {
         Set32(z, l.central_headers[1], 0x12345678);
       }},
      {"directory size larger than the data",
       [](std::vector<uint8_t>* z, const Layout& l) {
         Set32(z, l.end_record + 12, 0x7fffffff);
       }},
      {"directory offset past its position",
       [](std::vector<uint8_t>* z, const Layout& l) {
         Set32(z, l.end_record + 16, l.central_directory + 1);
       }},
      {"more entries than the directory holds",
       [](std::vector<uint8_t>* z, const Layout& l) {
         Set16(z, l.end_record + 8, 3);
         Set16(z, l.end_record + 10, 3);
       }},
      {"name runs past the directory",
       [](std::vector<uint8_t>* z, const Layout& l) {
         Set16(z, l.central_headers[1] + 28, 500);
       }},
      {"local header offset inside the directory",
       [](std::vector<uint8_t>* z, const Layout& l) {
         Set32(z, l.central_headers[0] + 42, l.central_directory);
       }},
      {"local header offset far away",
       [](std::vector<uint8_t>* z, const Layout& l) {
         Set32(z, l.central_headers[0] + 42, 0xfffffff0);
       }},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> zip = good;
    c.patch(&zip, l);
    const Status s = OpenAndReadAll(zip);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << c.what << ": " << s;
  }
}

TEST(ZipReader, MalformedLocalHeaderIsDataLoss) {
  Layout l;
  const std::vector<uint8_t> good =
      BuildZip({{"a", "alpha"}, {"b", "beta"}}, 0, &l);
  {
    std::vector<uint8_t> zip = good;
    Set32(&zip, l.local_headers[1], 0);
    EXPECT_EQ(OpenAndReadAll(zip).code(), StatusCode::kDataLoss);
  }
  {
    std::vector<uint8_t> zip = good;
    zip[l.local_headers[1] + 30] = 'x';  // local name "x" vs directory "b"
    EXPECT_EQ(OpenAndReadAll(zip).code(), StatusCode::kDataLoss);
  }
  {
    std::vector<uint8_t> zip = good;
    Set16(&zip, l.local_headers[1] + 28, 0xffff);  // extra field into the CD
    EXPECT_EQ(OpenAndReadAll(zip).code(), StatusCode::kDataLoss);
  }
  {
    std::vector<uint8_t> zip = good;
    Set32(&zip, l.central_headers[1] + 20, 1000);  // data into the CD
    Set32(&zip, l.central_headers[1] + 24, 1000);
    EXPECT_EQ(OpenAndReadAll(zip).code(), StatusCode::kDataLoss);
  }
}

TEST(ZipReader, UnsupportedFeaturesAreUnimplemented) {
  Layout l;
  const std::vector<uint8_t> good = BuildZip({{"a", "alpha"}}, 0, &l);
  {
    std::vector<uint8_t> zip = good;
    Set16(&zip, l.central_headers[0] + 8, 1);  // encrypted
    EXPECT_EQ(OpenAndReadAll(zip).code(), StatusCode::kUnimplemented);
  }
  {
    std::vector<uint8_t> zip = good;
    Set16(&zip, l.central_headers[0] + 10, 12);  // bzip2
    const Status s = OpenAndReadAll(zip);
    EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
    EXPECT_NE(s.message().find("method 12"), std::string::npos) << s;
  }
  {
    std::vector<uint8_t> zip = good;
    Set32(&zip, l.central_headers[0] + 24, 0xffffffff);  // ZIP64 size
    EXPECT_EQ(OpenAndReadAll(zip).code(), StatusCode::kUnimplemented);
  }
  {
    std::vector<uint8_t> zip = good;
    Set16(&zip, l.end_record + 4, 1);  // disk 1
    EXPECT_EQ(OpenAndReadAll(zip).code(), StatusCode::kUnimplemented);
  }
}

TEST(ZipReader, TooManyEntriesIsResourceExhausted) {
  const std::vector<uint8_t> zip =
      BuildZip({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  ZipLimits limits;
  limits.max_entries = 2;
  EXPECT_EQ(ZipReader::Open(zip, limits).status().code(),
            StatusCode::kResourceExhausted);
}

TEST(ZipReader, EveryTruncationFailsCleanly) {
  std::vector<uint8_t> file(64, 0x42);
  const std::vector<uint8_t> zip = BuildZip(
      {{"a.txt", Text(300)}, {"b.txt", Text(2000), ZipReader::kDeflate}}, 64);
  file.insert(file.end(), zip.begin(), zip.end());
  ASSERT_TRUE(OpenAndReadAll(file).ok());
  for (size_t n = 0; n < file.size(); ++n) {
    const std::span<const uint8_t> cut(file.data(), n);
    EXPECT_FALSE(OpenAndReadAll(cut).ok()) << "cut at " << n;
    // Also with the front cut away (offsets then point past the data).
    const std::span<const uint8_t> tail(file.data() + n, file.size() - n);
    const Status s = OpenAndReadAll(tail);
    if (n > 64) {
      EXPECT_FALSE(s.ok()) << "front cut at " << n;
    }
  }
}

TEST(ZipReader, ByteMutationsNeverCrash) {
  const std::vector<uint8_t> good =
      BuildZip({{"a.txt", "alpha beta gamma"},
                {"b.txt", Text(400), ZipReader::kDeflate}});
  size_t failures = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x80},
                      static_cast<uint8_t>(good[i] ^ 0x01)}) {
      std::vector<uint8_t> zip = good;
      zip[i] = v;
      if (!OpenAndReadAll(zip).ok()) ++failures;
    }
  }
  EXPECT_GT(failures, 0u);
}

TEST(ZipReader, ReadsTheArchiveOfACoralModel) {
  if (!::edgerun::testing::HaveSharedData()) GTEST_SKIP() << "no shared data";
  std::ifstream in(
      ::edgerun::testing::ModelPath("mobilenet_v1_0.25_128_quant.tflite"),
      std::ios::binary);
  const std::vector<uint8_t> model((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  std::ifstream labels_in(::edgerun::testing::ModelPath("imagenet_labels.txt"),
                          std::ios::binary);
  const std::string labels((std::istreambuf_iterator<char>(labels_in)),
                           std::istreambuf_iterator<char>());
  StatusOr<ZipReader> reader = ZipReader::Open(model);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ(reader->entries().size(), 1u);
  EXPECT_EQ(reader->entries()[0].name, "imagenet_labels.txt");
  EXPECT_EQ(reader->offset_shift(), 0u);
  EXPECT_GT(reader->archive_start(), 0u);
  StatusOr<std::vector<uint8_t>> data = reader->Read("imagenet_labels.txt");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(AsString(*data), labels);
}

}  // namespace
}  // namespace edgerun::format_internal
