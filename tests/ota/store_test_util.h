// Shared by the model-store tests and the crash helper: deterministic model
// bytes per version and an Updater-like install routine.
#ifndef EDGERUN_TESTS_OTA_STORE_TEST_UTIL_H_
#define EDGERUN_TESTS_OTA_STORE_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "edgerun/base/env.h"
#include "edgerun/ota/crypto.h"
#include "edgerun/ota/model_store.h"

namespace edgerun::ota::testing {

// Distinct bytes for every (version, size); not a real model (the store does
// not parse models).
inline std::string ModelBytes(int64_t version, size_t size = 64 * 1024) {
  std::string out(size, '\0');
  uint32_t x = static_cast<uint32_t>(version) * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1664525u + 1013904223u;
    out[i] = static_cast<char>(x >> 24);
  }
  return out;
}

// What an Updater does: stage (resuming what is there), write the rest in
// `chunk`-byte pieces, commit with the expected hash, activate.
inline Status InstallVersion(ModelStore& store, const std::string& name, int64_t version,
                             size_t size, size_t chunk, bool activate) {
  const std::string bytes = ModelBytes(version, size);
  ASSIGN_OR_RETURN(Staging staging, store.BeginStaging(name, version));
  ASSIGN_OR_RETURN(uint64_t have, store.StagedSize(staging, kModelFileName));
  if (have > bytes.size()) have = 0;  // not ours: start over
  ASSIGN_OR_RETURN(auto file, store.OpenStagedFile(staging, kModelFileName, have > 0));
  for (size_t off = have; off < bytes.size(); off += chunk) {
    const size_t n = std::min(chunk, bytes.size() - off);
    RETURN_IF_ERROR(file->Append(std::string_view(bytes).substr(off, n)));
  }
  RETURN_IF_ERROR(file->Close());
  RETURN_IF_ERROR(store.CommitStaged(
      staging, {{kModelFileName, Sha256Hex(bytes), bytes.size()}}, "test"));
  if (activate) RETURN_IF_ERROR(store.Activate(name, version, "install"));
  return OkStatus();
}

}  // namespace edgerun::ota::testing

#endif  // EDGERUN_TESTS_OTA_STORE_TEST_UTIL_H_
