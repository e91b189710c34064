#include <algorithm>

#include "backends/backend.h"
#include "backends/builtin_backends.h"

namespace edgerun::backends {

void BackendRegistry::Add(std::unique_ptr<Backend> backend) {
  if (backend != nullptr) backends_.push_back(std::move(backend));
}

const Backend* BackendRegistry::Find(std::string_view name) const {
  for (const auto& b : backends_) {
    if (b->name() == name) return b.get();
  }
  return nullptr;
}

std::vector<std::string> BackendRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& b : backends_) names.emplace_back(b->name());
  return names;
}

const BackendRegistry& BuiltinBackends() {
  // Built on first use (thread-safe), explicit registration, never
  // destroyed so that interpreters alive at exit can still reach it.
  static const BackendRegistry* registry = [] {
    auto* r = new BackendRegistry();
    RegisterBuiltinBackends(*r);
    return r;
  }();
  return *registry;
}

}  // namespace edgerun::backends
