// make_conformance_models OUT_DIR [FILTER]: writes every conformance case's
// model and fixed inputs to OUT_DIR/<case>/ (model.tflite, fixed_<i>.npy).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/conformance/case_families.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [NAME_SUBSTRING]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const std::string filter = argc > 2 ? argv[2] : "";
  std::vector<edgerun::conformance::ConformanceCase> cases =
      edgerun::conformance::AllCases();
  int written = 0;
  for (const auto& c : cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    auto bytes = c.build();
    if (!bytes.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name.c_str(),
                   bytes.status().ToString().c_str());
      return 1;
    }
    const std::filesystem::path dir = out / c.name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "model.tflite", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes->data()),
               static_cast<std::streamsize>(bytes->size()));
    if (!c.oracle_runtime.empty()) {
      std::ofstream(dir / "oracle_runtime.txt") << c.oracle_runtime;
    }
    for (const auto& [index, array] : c.fixed_inputs) {
      const edgerun::Status s = edgerun::WriteNpy(
          (dir / ("fixed_" + std::to_string(index) + ".npy")).string(), array);
      if (!s.ok()) {
        std::fprintf(stderr, "%s: %s\n", c.name.c_str(), s.ToString().c_str());
        return 1;
      }
    }
    ++written;
  }
  std::printf("wrote %d cases to %s\n", written, out.c_str());
  return 0;
}
