#!/usr/bin/env bash
# RSS of a pool of 4 interpreters (and a Session of 4) vs 1 of one model
# (issue #5: <= 1.5x), backends cpu and xnnpack,cpu, with the shared
# packed-weight cache and without it (EDGERUN_DISABLE_WEIGHT_SHARING=1 in
# the child). Builds pool_rss (Release, build-conv/; POOL_RSS_BUILD_DIR
# overrides) and writes bench/results/pool_rss.json.
#
#   bench/run_pool_rss.sh [--repeats N] [--model FILE.tflite]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${EDGERUN_SHARED_DIR:-$root/../shared}"
build="${POOL_RSS_BUILD_DIR:-$root/build-conv}"
repeats=5
model="mobilenet_v2_1.0_224_quant.tflite"
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) repeats="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    *) echo "usage: $0 [--repeats N] [--model FILE.tflite]" >&2; exit 2 ;;
  esac
done

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEDGERUN_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j2 --target pool_rss >/dev/null

mkdir -p "$root/bench/results"
"$build/pool_rss" "$shared/models/$model" "$repeats" | tee "$root/bench/results/pool_rss.json"
