#!/usr/bin/env bash
# Builds load_bench (Release, build-bench/) and prints the load + verify
# times of a real model: median, min and max over the repetitions, and the
# ratios read/mmap and full/header.
#
#   bench/run_load_bench.sh [--model=PATH] [--repetitions=N]
#
# EDGERUN_SHARED_DIR points at the shared models (default <repo>/../shared);
# BENCH_BUILD_DIR overrides the build directory.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BENCH_BUILD_DIR:-$REPO/build-bench}"
export EDGERUN_SHARED_DIR="${EDGERUN_SHARED_DIR:-$REPO/../shared}"

cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEDGERUN_BUILD_BENCH=ON -DEDGERUN_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target load_bench >/dev/null

json="$(mktemp)"
trap 'rm -f "$json"' EXIT
"$BUILD_DIR/load_bench" "$@" --benchmark_format=json >"$json"

python3 - "$json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
ctx = report["context"]
stats = {}
for b in report["benchmarks"]:
    if b.get("run_type") != "aggregate":
        continue
    case = b["run_name"].split("/")[1]
    stats.setdefault(case, {})[b["aggregate_name"]] = b
print(f"load_bench on {ctx.get('host_name', '?')}: {ctx['num_cpus']} cpus @ "
      f"{ctx['mhz_per_cpu']} MHz, libbenchmark build: {ctx.get('library_build_type', '?')}")
print(f"{'case':<18}{'median':>12}{'min':>12}{'max':>12}{'cpu median':>13}  (us, wall)")
for case, agg in stats.items():
    med, lo, hi = agg["median"], agg["min"], agg["max"]
    print(f"{case:<18}{med['real_time']:>12.1f}{lo['real_time']:>12.1f}"
          f"{hi['real_time']:>12.1f}{med['cpu_time']:>13.1f}   "
          f"({med['repetitions']} repetitions)")
def ratio(a, b):
    # CPU time as well: on a busy machine wall time includes waiting.
    if a in stats and b in stats:
        wall = stats[a]["median"]["real_time"] / stats[b]["median"]["real_time"]
        cpu = stats[a]["median"]["cpu_time"] / stats[b]["median"]["cpu_time"]
        print(f"ratio {a} / {b} (medians): {wall:.2f} wall, {cpu:.2f} cpu")
ratio("read_full", "mmap_full")
ratio("mmap_full", "mmap_header")
ratio("read_full", "read_header")
ratio("mmap_full_touch", "read_full")
PY
