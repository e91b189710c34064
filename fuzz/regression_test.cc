// Replays every file of fuzz/regression/ through the fuzz target's entry
// point, so inputs that once crashed, hung or read out of bounds are checked
// in every build (under ASan in sanitizer builds), not only when fuzzing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/shared_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// Regression inputs are minimized crashers and hand-made headers; a big file
// here is probably a model copied by mistake.
constexpr uintmax_t kMaxRegressionFileBytes = 32 * 1024;

std::vector<fs::path> RegressionFiles() {
  const fs::path dir =
      fs::path(edgerun::testing::SourceDir()) / "fuzz" / "regression";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().filename() != "README.md") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FuzzRegression, ReplaysEveryFileWithoutCrashing) {
  const std::vector<fs::path> files = RegressionFiles();
  ASSERT_FALSE(files.empty())
      << "no files in fuzz/regression under " << edgerun::testing::SourceDir();
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.string());
    EXPECT_LE(fs::file_size(path), kMaxRegressionFileBytes);
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read";
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    // Own copy per input, exactly sized, as libFuzzer passes it: ASan then
    // flags a read one byte past the end.
    EXPECT_EQ(LLVMFuzzerTestOneInput(bytes.data(), bytes.size()), 0);
  }
}

}  // namespace
