// Paths to ../shared (models, golden outputs) for tests and benchmarks.
// EDGERUN_SHARED_DIR overrides the default <source>/../shared.
#ifndef EDGERUN_TESTS_SUPPORT_SHARED_DATA_H_
#define EDGERUN_TESTS_SUPPORT_SHARED_DATA_H_

#include <cstdlib>
#include <filesystem>
#include <string>

namespace edgerun::testing {

inline std::string SourceDir() {
  if (const char* env = std::getenv("EDGERUN_SOURCE_DIR")) return env;
#ifdef EDGERUN_SOURCE_DIR
  return EDGERUN_SOURCE_DIR;
#else
  return ".";
#endif
}

inline std::string SharedDir() {
  if (const char* env = std::getenv("EDGERUN_SHARED_DIR")) return env;
  return SourceDir() + "/../shared";
}

inline std::string ModelsDir() { return SharedDir() + "/models"; }
inline std::string GoldenDir() { return SharedDir() + "/golden"; }
inline std::string ModelPath(const std::string& name) {
  return ModelsDir() + "/" + name;
}
inline bool HaveSharedData() {
  return std::filesystem::exists(ModelsDir()) &&
         std::filesystem::exists(GoldenDir() + "/manifest.json");
}

}  // namespace edgerun::testing

#endif  // EDGERUN_TESTS_SUPPORT_SHARED_DATA_H_
