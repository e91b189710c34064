// SharedDataCache: the prepared kernel data of one loaded model (packed
// filters, widened weights, output stages) shared by all its interpreters.
//
// Why: every interpreter has its own kernel objects, and the CPU kernels
// pack their constant weights in Prepare. Without sharing, N interpreters of
// a model hold N packed copies (mobilenet_v2: ~8 MB each, more than the
// model file), which a Session pool multiplies.
//
// Keys: a kernel builds its key (SharedKey) from everything the data
// depends on: op and layout, the constant tensors' types, shapes, data
// addresses and sizes, and the quantization it folds in. An address
// identifies a constant buffer because the cache keeps its ModelFile alive:
// while a cache exists, no other model's constants can occupy those
// addresses. Only data derived from constant tensors may be stored.
//
// Ownership and lifetime: ForModel returns the model's live cache or makes
// one; runtime::Subgraph holds it, so it lives while any interpreter of the
// model does. Entries are weak: data is freed when the last kernel holding
// it lets go (at the latest with the last interpreter).
//
// Sharing can be turned off for A/B measurements: InterpreterOptions::
// share_packed_weights = false or EDGERUN_DISABLE_WEIGHT_SHARING=1 (then
// every kernel packs its own copy, as before the cache existed).
//
// Thread-safety: thread-safe; interpreters of one model may be prepared
// concurrently from different threads. Lock order: registry mutex (never
// held while calling into a cache), then a cache's mu_, then an entry's
// mutex. An entry's mutex is held while make() runs, so concurrent Prepares
// of one node pack once while other keys proceed; make() must not call
// back into the cache.
#ifndef EDGERUN_KERNELS_SHARED_DATA_CACHE_H_
#define EDGERUN_KERNELS_SHARED_DATA_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "edgerun/format/model_file.h"
#include "kernels/kernel_api.h"

namespace edgerun::kernels {

class SharedDataCache {
 public:
  struct Stats {
    size_t live_entries = 0;  // entries whose data is still held
    size_t live_bytes = 0;    // their bytes
    uint64_t hits = 0;        // GetOrCreate calls answered with live data
    uint64_t misses = 0;      // calls that ran make()
  };

  // The live cache of `model`, or a new one registered for it.
  static std::shared_ptr<SharedDataCache> ForModel(
      std::shared_ptr<const ModelFile> model);
  // The live cache of `model`, or null when none exists (tests).
  static std::shared_ptr<SharedDataCache> Find(const ModelFile& model);
  // False when EDGERUN_DISABLE_WEIGHT_SHARING is set to a non-empty value
  // other than "0".
  static bool SharingEnabledByEnvironment();

  explicit SharedDataCache(std::shared_ptr<const ModelFile> model);
  SharedDataCache(const SharedDataCache&) = delete;
  SharedDataCache& operator=(const SharedDataCache&) = delete;

  // The live data stored under `key`, or make()'s result, stored (unless
  // its data is null). `*hit` (may be null) tells which.
  SharedData GetOrCreate(std::string_view key,
                         const std::function<SharedData()>& make, bool* hit);

  Stats stats() const;

 private:
  struct Entry {
    std::mutex mu;
    std::weak_ptr<const void> data;  // guarded by mu
    size_t bytes = 0;                // guarded by mu
  };
  // Drops entries nobody holds whose data is gone. Needs mu_.
  void PruneLocked();

  const std::shared_ptr<const ModelFile> model_;  // keeps key addresses valid
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;  // mu_
  size_t prune_at_ = 64;                                             // mu_
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_SHARED_DATA_CACHE_H_
