#!/usr/bin/env bash
# Rebuilds the conformance models and their expected outputs from the real
# TensorFlow Lite runtime (../shared/tools/oracle). Run after adding cases:
#   tests/conformance/regen.sh [NAME_SUBSTRING]
# Needs node + the oracle set up (bash ../shared/tools/oracle/setup.sh DIR;
# EDGERUN_ORACLE_DIR=DIR). Results go to tests/conformance/cases/ (commit them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="${EDGERUN_SHARED_DIR:-$root/../shared}"
oracle_dir="${EDGERUN_ORACLE_DIR:-${TMPDIR:-/tmp}/edgerun-oracle}"
build="${EDGERUN_BUILD_DIR:-$root/build}"
filter="${1:-}"

cmake --build "$build" --target make_conformance_models >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/make_conformance_models" "$work" "$filter"

for dir in "$work"/*/; do
  name="$(basename "$dir")"
  dest="$here/cases/$name"
  n_inputs="$(node "$shared/tools/oracle/inspect.mjs" "$dir/model.tflite" --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.inputs.length)})')"
  args=()
  for ((i = 0; i < n_inputs; i++)); do
    if [ -f "$dir/fixed_$i.npy" ]; then args+=(--input "$dir/fixed_$i.npy"); else args+=(--input -); fi
  done
  if [ -f "$dir/oracle_runtime.txt" ]; then args+=(--runtime "$(cat "$dir/oracle_runtime.txt")"); fi
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$dir/model.tflite" "$dest/"
  if node "$shared/tools/oracle/run.mjs" "$dir/model.tflite" --oracle-dir "$oracle_dir" \
      --seed 1 --runs 1 --quiet "${args[@]}" --out "$dest" >"$work/$name.log" 2>&1; then
    echo "ok    $name"
  else
    echo "FAIL  $name: $(tail -n 3 "$work/$name.log" | tr '\n' ' ')"
  fi
done
