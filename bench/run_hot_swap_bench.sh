#!/usr/bin/env bash
# Builds hot_swap_bench (Release, build-bench/) and runs it in
# each swap mode (same ModelFile / reload of the same file / other file),
# with the swapping thread at nice 0 and nice 19; writes
# bench/results/hot_swap.json (one object per run plus the load average).
#
#   bench/run_hot_swap_bench.sh [extra hot_swap_bench flags, e.g. --swaps=10]
#
# EDGERUN_SHARED_DIR points at the shared models (default <repo>/../shared);
# BENCH_BUILD_DIR overrides the build directory; MODES / NICES override the
# lists ("same reload other" / "0 19"). Builds with -j2 (shared machine).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BENCH_BUILD_DIR:-$REPO/build-bench}"
export EDGERUN_SHARED_DIR="${EDGERUN_SHARED_DIR:-$REPO/../shared}"
MODES="${MODES:-same reload other}"
NICES="${NICES:-0 19}"

cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
  -DEDGERUN_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j2 --target hot_swap_bench >/dev/null

mkdir -p "$REPO/bench/results"
out="$REPO/bench/results/hot_swap.json"
runs="$(mktemp)"
trap 'rm -f "$runs"' EXIT
for mode in $MODES; do
  for nice in $NICES; do
    echo "hot_swap_bench --mode=$mode --nice=$nice $*" >&2
    "$BUILD_DIR/hot_swap_bench" --mode="$mode" --nice="$nice" "$@" | tee -a "$runs" >&2
  done
done

python3 - "$runs" "$out" <<'PY'
import json, os, sys
text = open(sys.argv[1]).read()
dec, runs, i = json.JSONDecoder(), [], 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    obj, i = dec.raw_decode(text, i)
    runs.append(obj)
result = {"bench": "hot_swap", "bar": "p99 of swap-overlapping requests <= 2x steady p99",
          "cpus": os.cpu_count(), "loadavg_end": list(os.getloadavg()), "runs": runs}
json.dump(result, open(sys.argv[2], "w"), indent=1)
print(f"{'mode':<8}{'nice':>5}{'steady p99':>12}{'swap p99 med':>14}{'ratio med':>11}"
      f"{'min':>7}{'max':>7}{'pooled':>8}{'swap ms':>9}{'load1':>7}")
for r in runs:
    q = r["ratio_swap_p99_to_steady_p99"]
    print(f"{r['mode']:<8}{r['nice']:>5}{r['steady']['p99_ms']:>12.1f}"
          f"{r['swap_p99_ms']['median']:>14.1f}{q['median']:>11.2f}{q['min']:>7.2f}"
          f"{q['max']:>7.2f}{r['pooled_ratio']:>8.2f}{r['swap_duration_ms']['median']:>9.1f}"
          f"{r['loadavg'][0]:>7.2f}")
print(f"wrote {sys.argv[2]}")
PY
