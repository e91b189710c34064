// KernelRegistry: maps (builtin code | custom name, version) to a kernel
// factory. Filled explicitly by RegisterBuiltinKernels (no static
// initializers), so what a binary can run is visible in one place.
//
// Ownership: owns its table. Thread-safety: fill it before sharing; const
// lookups are then safe from any thread.
#ifndef EDGERUN_KERNELS_REGISTRY_H_
#define EDGERUN_KERNELS_REGISTRY_H_

#include <climits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/base/status.h"
#include "kernels/kernel_api.h"

namespace edgerun::kernels {

class KernelRegistry {
 public:
  // Registers a builtin op kernel for versions [min_version, max_version].
  void AddBuiltin(int builtin_code, KernelFactory factory, int min_version = 1,
                  int max_version = INT_MAX);
  void AddCustom(std::string name, KernelFactory factory);

  // The factory for a node's op, or kNotFound naming the op and version
  // ("no CPU kernel for CUSTOM op 'edgetpu-custom-op'").
  StatusOr<KernelFactory> Find(int builtin_code, std::string_view custom_name,
                               int version) const;
  bool HasBuiltin(int builtin_code) const;
  // Builtin codes with at least one kernel, ascending.
  std::vector<int> BuiltinCodes() const;

 private:
  struct Entry {
    int min_version;
    int max_version;
    KernelFactory factory;
  };
  std::map<int, std::vector<Entry>> builtins_;
  std::map<std::string, KernelFactory, std::less<>> customs_;
};

// Registers every CPU kernel edgerun has (kernels/register_builtins.cc).
void RegisterBuiltinKernels(KernelRegistry& registry);

// The process-wide registry with all builtin kernels, built on first use.
const KernelRegistry& BuiltinKernelRegistry();

}  // namespace edgerun::kernels

#endif  // EDGERUN_KERNELS_REGISTRY_H_
