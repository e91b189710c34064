#!/usr/bin/env bash
# Configures and builds one edgerun build tree.
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default: build/ in Release with tests. Uses Ninja and all cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
