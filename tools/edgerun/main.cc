#include <cstdio>
#include "edgerun/format/model_file.h"
int main(int argc, char** argv) {
  if (argc < 2) return 2;
  auto m = edgerun::LoadModelFromFile(argv[1]);
  if (!m.ok()) { std::fprintf(stderr, "edgerun: %s\n", m.status().ToString().c_str()); return 2; }
  std::printf("ok %zu bytes\n", (*m)->stats().file_bytes);
  for (auto& w : (*m)->warnings()) std::printf("warning: %s\n", w.c_str());
  return 0;
}
