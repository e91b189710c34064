#!/usr/bin/env bash
# CPU backend latency (issue #3): median/min/max of N single-threaded
# Invokes of the two MobileNet v2 models, as JSON on stdout (and in
# bench/results/cpu_bench.json). Release build in build-bench/.
#   bench/run_cpu_bench.sh [RUNS=50]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${EDGERUN_SHARED_DIR:-$root/../shared}"
runs="${1:-50}"
cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEDGERUN_BUILD_BENCH=ON -DEDGERUN_BUILD_TESTS=OFF >/dev/null
cmake --build "$root/build-bench" --target model_timing >/dev/null
mkdir -p "$root/bench/results"
{
  echo "{"
  echo "  \"runs\": $runs, \"threads\": 1, \"host_cores\": $(nproc),"
  echo "  \"models\": ["
  first=1
  for m in mobilenet_v2_1.0_224_quant tf2_mobilenet_v2_1.0_224_ptq; do
    line="$("$root/build-bench/model_timing" "$shared/models/$m.tflite" "$runs" 5)"
    med="$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$line")"
    min="$(sed -E 's/.*min ([0-9.]+) ms.*/\1/' <<<"$line")"
    max="$(sed -E 's/.*max ([0-9.]+) ms.*/\1/' <<<"$line")"
    [ $first = 1 ] || echo ","
    first=0
    printf '    {"model": "%s", "median_ms": %s, "min_ms": %s, "max_ms": %s}' "$m" "$med" "$min" "$max"
  done
  echo
  echo "  ]"
  echo "}"
} | tee "$root/bench/results/cpu_bench.json"
