#include "kernels/shared_data_cache.h"

#include <cstdlib>
#include <cstring>
#include <utility>

namespace edgerun::kernels {
namespace {

// Process-wide: model -> its live cache. A live cache keeps its model
// alive, so a live entry's address cannot belong to another model; an
// expired entry may, and is replaced.
struct Registry {
  std::mutex mu;
  std::unordered_map<const ModelFile*, std::weak_ptr<SharedDataCache>> caches;
};

Registry& GlobalRegistry() {
  static Registry* registry = new Registry();  // never destroyed
  return *registry;
}

}  // namespace

SharedKey& SharedKey::AddConstant(const Tensor* tensor) {
  if (tensor == nullptr) return Add(false);
  Add(true).Add(tensor->type).Add(tensor->shape.rank());
  for (int32_t d : tensor->shape.dims()) Add(d);
  Add(static_cast<const void*>(tensor->data)).Add(tensor->bytes);
  Add(tensor->quant.scale).Add(tensor->quant.zero_point);
  return Add(tensor->quant.quantized_dimension);
}

std::shared_ptr<SharedDataCache> SharedDataCache::ForModel(
    std::shared_ptr<const ModelFile> model) {
  Registry& registry = GlobalRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  std::weak_ptr<SharedDataCache>& slot = registry.caches[model.get()];
  if (std::shared_ptr<SharedDataCache> live = slot.lock()) return live;
  auto cache = std::make_shared<SharedDataCache>(std::move(model));
  slot = cache;
  std::erase_if(registry.caches,
                [](const auto& entry) { return entry.second.expired(); });
  return cache;
}

std::shared_ptr<SharedDataCache> SharedDataCache::Find(const ModelFile& model) {
  Registry& registry = GlobalRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  auto it = registry.caches.find(&model);
  return it == registry.caches.end() ? nullptr : it->second.lock();
}

bool SharedDataCache::SharingEnabledByEnvironment() {
  const char* env = std::getenv("EDGERUN_DISABLE_WEIGHT_SHARING");
  return env == nullptr || env[0] == '\0' || std::strcmp(env, "0") == 0;
}

SharedDataCache::SharedDataCache(std::shared_ptr<const ModelFile> model)
    : model_(std::move(model)) {}

SharedData SharedDataCache::GetOrCreate(
    std::string_view key, const std::function<SharedData()>& make, bool* hit) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = entries_.try_emplace(std::string(key));
    if (inserted) {
      it->second = std::make_shared<Entry>();
      if (entries_.size() >= prune_at_) PruneLocked();
    }
    entry = it->second;
  }
  // Held while make() runs: a second Prepare of the same node waits for the
  // first's data instead of packing its own copy.
  std::lock_guard<std::mutex> lock(entry->mu);
  if (std::shared_ptr<const void> live = entry->data.lock()) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    if (hit != nullptr) *hit = true;
    return {std::move(live), entry->bytes};
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (hit != nullptr) *hit = false;
  SharedData made = make();
  entry->data = made.data;
  entry->bytes = made.bytes;
  return made;
}

void SharedDataCache::PruneLocked() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    // use_count() == 1: only the map holds the entry, and new holders need
    // mu_ (held), so nobody can be inside it now.
    bool dead = it->second.use_count() == 1;
    if (dead) {
      std::lock_guard<std::mutex> lock(it->second->mu);
      dead = it->second->data.expired();
    }
    it = dead ? entries_.erase(it) : std::next(it);
  }
  prune_at_ = 2 * entries_.size() + 64;
}

SharedDataCache::Stats SharedDataCache::stats() const {
  Stats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, entry] : entries_) {
      std::lock_guard<std::mutex> entry_lock(entry->mu);
      if (entry->data.expired()) continue;
      ++stats.live_entries;
      stats.live_bytes += entry->bytes;
    }
  }
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace edgerun::kernels
