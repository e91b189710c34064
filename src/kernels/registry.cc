#include "kernels/registry.h"

#include "format/model_verifier.h"
#include "format/tflite_generated.h"

namespace edgerun::kernels {

Status KernelContext::Error(StatusCode code, const std::string& message) const {
  return Status(code, "node " + std::to_string(node().index) + " (" +
                          node().op_name + "): " + message);
}

void KernelRegistry::AddBuiltin(int builtin_code, KernelFactory factory,
                                int min_version, int max_version) {
  builtins_[builtin_code].push_back({min_version, max_version, factory});
}

void KernelRegistry::AddCustom(std::string name, KernelFactory factory) {
  customs_[std::move(name)] = factory;
}

StatusOr<KernelFactory> KernelRegistry::Find(int builtin_code,
                                             std::string_view custom_name,
                                             int version) const {
  if (builtin_code == tfl::BuiltinOperator_CUSTOM) {
    auto it = customs_.find(custom_name);
    if (it == customs_.end()) {
      return NotFoundError("no CPU kernel for custom op '" +
                           std::string(custom_name) + "'");
    }
    return it->second;
  }
  std::string name = "BUILTIN_" + std::to_string(builtin_code);
  if (builtin_code >= tfl::BuiltinOperator_MIN &&
      builtin_code <= tfl::BuiltinOperator_MAX) {
    name = tfl::EnumNameBuiltinOperator(
        static_cast<tfl::BuiltinOperator>(builtin_code));
  }
  auto it = builtins_.find(builtin_code);
  if (it == builtins_.end()) {
    return NotFoundError("no CPU kernel for builtin op " + name);
  }
  for (const Entry& e : it->second) {
    if (version >= e.min_version && version <= e.max_version) return e.factory;
  }
  return NotFoundError("no CPU kernel for " + name + " version " +
                       std::to_string(version));
}

bool KernelRegistry::HasBuiltin(int builtin_code) const {
  return builtins_.count(builtin_code) > 0;
}

std::vector<int> KernelRegistry::BuiltinCodes() const {
  std::vector<int> codes;
  for (const auto& [code, entries] : builtins_) codes.push_back(code);
  return codes;
}

const KernelRegistry& BuiltinKernelRegistry() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterBuiltinKernels(*r);
    return r;
  }();
  return *registry;
}

}  // namespace edgerun::kernels
