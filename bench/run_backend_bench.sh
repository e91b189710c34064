#!/usr/bin/env bash
# Backend comparison (issue #4): `edgerun bench --backends cpu` vs
# `--backends xnnpack` at 1 and 2 threads on three quantized MobileNets, and
# the RSS of 1 vs 4 interpreters of mobilenet_v2_1.0_224_quant. Every run's
# JSON goes to bench/results/backend/; the summary with ratios (each against
# the cpu run of this same invocation and thread count) to
# bench/results/backend_bench.json and stdout.
#
#   bench/run_backend_bench.sh [--runs N] [--min-secs S] [--backends-only|--rss-only]
#
# Release build in build-bench/ (BENCH_BUILD_DIR overrides); models from
# ${EDGERUN_SHARED_DIR:-<repo>/../shared}/models. A backend the build does
# not know shows up as an "error" entry, not a failed script; a backend run
# whose plan delegated nothing is flagged ("delegated_nodes": 0) so a
# cpu-vs-cpu ratio is not mistaken for a backend result.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${EDGERUN_SHARED_DIR:-$root/../shared}"
build="${BENCH_BUILD_DIR:-$root/build-bench}"
runs=50
min_secs=2
do_backends=1
do_rss=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --min-secs) min_secs="$2"; shift 2 ;;
    --backends-only) do_rss=0; shift ;;
    --rss-only) do_backends=0; shift ;;
    *) echo "usage: $0 [--runs N] [--min-secs S] [--backends-only|--rss-only]" >&2; exit 2 ;;
  esac
done

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEDGERUN_BUILD_BENCH=ON -DEDGERUN_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target edgerun_cli >/dev/null
edgerun="$build/edgerun"

out="$root/bench/results/backend"
mkdir -p "$out"
# Drop stale results of the groups this invocation runs again.
shopt -s nullglob
if [ "$do_backends" = 1 ]; then
  for f in "$out"/*.json "$out"/*.err; do
    case "$(basename "$f")" in rss__*) ;; *) rm -f "$f" ;; esac
  done
fi
[ "$do_rss" = 1 ] && rm -f "$out"/rss__*

# bench NAME ARGS...: one `edgerun bench --json` run into $out/NAME.json;
# a failing run leaves $out/NAME.err (its one-line error) instead.
bench() {
  local name="$1"; shift
  echo "bench $name" >&2
  if "$edgerun" bench "$@" --json >"$out/$name.json" 2>"$out/$name.err"; then
    rm -f "$out/$name.err"
  else
    rm -f "$out/$name.json"
    cat "$out/$name.err" >&2
  fi
}

models=(mobilenet_v1_0.25_128_quant mobilenet_v2_1.0_224_quant tf2_mobilenet_v2_1.0_224_ptq)
if [ "$do_backends" = 1 ]; then
  for m in "${models[@]}"; do
    for t in 1 2; do
      for b in cpu xnnpack; do
        bench "${m}__${b}__t${t}" "$shared/models/$m.tflite" --backends "$b" --threads "$t" \
          --runs "$runs" --min-secs "$min_secs" --warmup-runs 5
      done
    done
  done
fi
if [ "$do_rss" = 1 ]; then
  # Separate processes, so each peak RSS is its own.
  for b in cpu xnnpack; do
    for n in 1 4; do
      bench "rss__mobilenet_v2_1.0_224_quant__${b}__x${n}" \
        "$shared/models/mobilenet_v2_1.0_224_quant.tflite" --backends "$b" \
        --interpreters "$n" --runs 20 --min-secs 0 --warmup-runs 1
    done
  done
fi

python3 - "$out" "$root/bench/results/backend_bench.json" "$runs" "$min_secs" <<'PY'
import glob, json, os, sys
out_dir, summary_path, runs, min_secs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

def load(name):
    path = os.path.join(out_dir, name + ".json")
    if os.path.exists(path):
        return json.load(open(path))
    err = os.path.join(out_dir, name + ".err")
    return {"error": open(err).read().strip() if os.path.exists(err) else "not run"}

def brief(j):
    if "error" in j:
        return {"error": j["error"]}
    inf = j["inference"]
    return {
        "avg_us": round(inf["avg_us"], 1), "p50_us": round(inf["p50_us"], 1),
        "p90_us": round(inf["p90_us"], 1), "p99_us": round(inf["p99_us"], 1),
        "std_us": round(inf["std_us"], 1), "count": inf["count"],
        "init_us": round(j["init"]["total_us"], 1),
        "first_inference_us": round(j["first_inference_us"], 1),
        "peak_rss_kb": j["memory"]["peak_rss_kb"],
        "packed_weight_bytes": j["memory"]["packed_weight_bytes"],
        "plan": j["plan"]["summary"], "delegated_nodes": j["plan"]["delegated_nodes"],
        "fallbacks": len(j["plan"]["fallbacks"]),
    }

def ratio(a, b):
    return round(a / b, 3) if b else None

summary = {"runs": int(runs), "min_secs": float(min_secs), "host_cores": os.cpu_count(),
           "latency": [], "rss": []}
names = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(out_dir, "*.json")))
names += sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(out_dir, "*.err")))
seen = set()
for name in names:
    parts = name.split("__")
    if parts[0] == "rss" or len(parts) != 3 or parts[1] != "cpu":
        continue
    model, _, threads = parts
    if (model, threads) in seen:
        continue
    seen.add((model, threads))
    cpu, xnn = load(name), load(f"{model}__xnnpack__{threads}")
    row = {"model": model, "threads": int(threads[1:]), "cpu": brief(cpu), "xnnpack": brief(xnn)}
    if "error" not in cpu and "error" not in xnn:
        # > 1: xnnpack is faster (cpu time / xnnpack time).
        row["speedup_avg"] = ratio(cpu["inference"]["avg_us"], xnn["inference"]["avg_us"])
        row["speedup_p50"] = ratio(cpu["inference"]["p50_us"], xnn["inference"]["p50_us"])
        row["init_ratio"] = ratio(xnn["init"]["total_us"], cpu["init"]["total_us"])
        if xnn["plan"]["delegated_nodes"] == 0:
            row["warning"] = "xnnpack delegated no nodes: this compares the cpu with itself"
    summary["latency"].append(row)

for backend in ("cpu", "xnnpack"):
    one = load(f"rss__mobilenet_v2_1.0_224_quant__{backend}__x1")
    four = load(f"rss__mobilenet_v2_1.0_224_quant__{backend}__x4")
    row = {"model": "mobilenet_v2_1.0_224_quant", "backend": backend}
    for n, j in ((1, one), (4, four)):
        if "error" in j:
            row[f"x{n}"] = {"error": j["error"]}
            continue
        m = j["memory"]
        row[f"x{n}"] = {
            "rss_before_load_kb": m["rss_before_load_kb"],
            "rss_after_init_kb": m["rss_after_init_kb"], "peak_rss_kb": m["peak_rss_kb"],
            "init_growth_kb": m["rss_after_init_kb"] - m["rss_before_load_kb"],
            "peak_growth_kb": m["peak_rss_kb"] - m["rss_before_load_kb"],
            "arena_bytes_all_interpreters": m["arena_bytes_all_interpreters"],
            "avg_us": round(j["inference"]["avg_us"], 1),
        }
    if "error" not in one and "error" not in four:
        # What each extra interpreter costs (weights are shared via mmap).
        row["extra_interpreter_kb"] = round(
            (row["x4"]["peak_growth_kb"] - row["x1"]["peak_growth_kb"]) / 3, 1)
        row["peak_growth_ratio_x4_vs_x1"] = ratio(row["x4"]["peak_growth_kb"],
                                                  row["x1"]["peak_growth_kb"])
    summary["rss"].append(row)

with open(summary_path, "w") as f:
    json.dump(summary, f, indent=2)
    f.write("\n")
print(json.dumps(summary, indent=2))
PY
