// libFuzzer target: LoadModel with full verification on arbitrary bytes.
//
// Whatever the bytes, loading must return a Status (no crash, hang or huge
// allocation). When a load succeeds, everything a reader may touch is
// touched: the summary, its JSON (what `edgerun inspect` prints) and every
// byte of every constant buffer, so ASan reports any out-of-bounds span the
// verifier let through. Errors must stay printable as one bounded line, the
// CLI's contract for bad files.
//
// The same entry point is compiled into fuzz_regression_test (a plain gtest)
// to replay fuzz/regression/ in every build.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "edgerun/base/status.h"
#include "edgerun/format/byte_source.h"
#include "edgerun/format/model_file.h"
#include "edgerun/format/model_summary.h"

namespace {

// Longest error message accepted: names from the file must be shortened.
constexpr size_t kMaxMessageBytes = 4096;

// Keeps the checksum live so the buffer reads are not optimized away.
volatile uint64_t g_sink = 0;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "load_model_fuzzer: %s: %.*s\n", what,
               static_cast<int>(detail.size() > 512 ? 512 : detail.size()),
               detail.c_str());
  __builtin_trap();
}

void CheckErrorMessage(const edgerun::Status& status) {
  const std::string text = status.ToString();
  if (text.size() > kMaxMessageBytes) Fail("error message too long", text);
  for (const char c : text) {
    // Control characters would break the CLI's one-line error contract.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      Fail("control character in error message", text);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  edgerun::StatusOr<std::shared_ptr<const edgerun::ModelFile>> model =
      edgerun::LoadModel(edgerun::ByteSource::FromBuffer(
                             std::span<const uint8_t>(data, size), "<fuzz>"),
                         edgerun::LoadOptions{});
  if (!model.ok()) {
    CheckErrorMessage(model.status());
    return 0;
  }
  const edgerun::ModelFile& file = **model;
  const edgerun::ModelSummary summary = edgerun::SummarizeModel(file);
  uint64_t sum = summary.tensor_count + summary.subgraphs.size();
  sum += edgerun::ModelSummaryToJson(summary).size();
  for (uint32_t i = 0; i < file.num_buffers(); ++i) {
    for (const uint8_t b : file.BufferData(i)) sum = sum * 31 + b;
  }
  g_sink = sum;
  return 0;
}
