#!/usr/bin/env bash
# Runtime overhead over direct XNNPACK (issue #4: within 5%). Builds
# xnnpack_overhead_bench (Release, build-xbench/; XBENCH_BUILD_DIR
# overrides) and runs it once over mobilenet_v1_0.25_128_quant,
# mobilenet_v2_1.0_224_quant and tf2_mobilenet_v2_1.0_224_ptq at 1 and 2
# threads: A (Invoke, xnnpack,cpu), B (direct xnn_invoke_runtime + raw
# kernel Eval) and C (cpu only) interleaved round by round in one process.
# JSON to bench/results/xnnpack_bench.json, a table to stdout.
#
#   bench/run_xnnpack_bench.sh [--runs N] [--warmup W] [--init-reps R] [--threads 1,2]
#
# Models from ${EDGERUN_SHARED_DIR:-<repo>/../shared}/models.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${EDGERUN_SHARED_DIR:-$root/../shared}"
build="${XBENCH_BUILD_DIR:-$root/build-xbench}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs|--warmup|--init-reps|--threads|--models) args+=("$1" "$2"); shift 2 ;;
    *) echo "usage: $0 [--runs N] [--warmup W] [--init-reps R] [--threads 1,2] [--models a,b]" >&2; exit 2 ;;
  esac
done

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEDGERUN_BUILD_BENCH=ON -DEDGERUN_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target xnnpack_overhead_bench >/dev/null

mkdir -p "$root/bench/results"
"$build/xnnpack_overhead_bench" --models-dir "$shared/models" \
  --runs 200 --warmup 10 --init-reps 5 "${args[@]}" \
  --json "$root/bench/results/xnnpack_bench.json"
echo "wrote $root/bench/results/xnnpack_bench.json"
