#!/usr/bin/env bash
# Issue #5's performance figures: builds edgerun and scheduler_overhead_bench
# (Release, bench ON) and runs, on a real model,
#   * `edgerun bench --clients 1,2,4,8` in every mode (shared, mutex, pool,
#     session) with the CPU kernels and with xnnpack,cpu;
#   * the multi-camera case `--streams` on the simulated accelerator;
#   * scheduler_overhead_bench (Session::Run vs a direct Invoke);
#   * session_tail_bench: p99 at 8 clients / one-client p50 over
#     SESSION_TAIL_REPS repetitions (default 7), beside the ideal FIFO replay
#     of the same process's service times and a vCPU hiccup meter
#     (bench/results/session_tail.json, one entry per backend set).
# Writes bench/results/session_bench.json and prints a summary with the
# ratios the issue asks for: session throughput at N clients / 1 client,
# p99 at 8 clients / p50 at 1 client, mutex and pool beside it.
#
#   bench/run_session_bench.sh
#
# Environment: EDGERUN_SHARED_DIR (models; default <repo>/../shared),
# SESSION_BENCH_MODEL (default mobilenet_v2_1.0_224_quant.tflite there),
# SESSION_BENCH_MODEL2 (second model of the two-model streams case, default
# mobilenet_v1_0.5_160_quant.tflite),
# SESSION_BENCH_DURATION (seconds per point, default 5),
# SESSION_BENCH_BACKENDS (default "cpu xnnpack,cpu"),
# SESSION_BENCH_SIM_LATENCY_US (default 5000), BENCH_BUILD_DIR (default
# <repo>/build-bench).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BENCH_BUILD_DIR:-$REPO/build-bench}"
SHARED="${EDGERUN_SHARED_DIR:-$REPO/../shared}"
MODEL="${SESSION_BENCH_MODEL:-$SHARED/models/mobilenet_v2_1.0_224_quant.tflite}"
MODEL2="${SESSION_BENCH_MODEL2:-$SHARED/models/mobilenet_v1_0.5_160_quant.tflite}"
DURATION="${SESSION_BENCH_DURATION:-5}"
BACKENDS="${SESSION_BENCH_BACKENDS:-cpu xnnpack,cpu}"
SIM_LATENCY_US="${SESSION_BENCH_SIM_LATENCY_US:-5000}"
CLIENTS="1,2,4,8"
OUT_JSON="$REPO/bench/results/session_bench.json"

cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
  -DEDGERUN_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j2 --target edgerun_cli scheduler_overhead_bench \
  session_tail_bench \
  >/dev/null
EDGERUN="$BUILD_DIR/edgerun"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "model: $MODEL; ${DURATION} s per point; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

for backends in $BACKENDS; do
  for mode in shared mutex pool session; do
    echo "clients: --backends $backends --mode $mode" >&2
    # shared exits 1 by design (detected concurrent use); keep its JSON.
    "$EDGERUN" bench "$MODEL" --clients "$CLIENTS" --mode "$mode" \
      --duration "$DURATION" --backends "$backends" --json \
      >"$tmp/clients_${backends//,/_}_$mode.json" 2>"$tmp/err" || true
    sed 's/^/  /' "$tmp/err" >&2
  done
done

echo "streams: 4 cameras x 30 fps on sim (simulated accelerator)" >&2
"$EDGERUN" bench "$MODEL" --streams 4 --fps 30 --backends sim \
  --sim-latency-us "$SIM_LATENCY_US" --duration "$DURATION" --json \
  >"$tmp/streams.json"
"$EDGERUN" bench "$MODEL" --models "$MODEL2" --streams 4 --fps 30 \
  --backends sim --sim-latency-us "$SIM_LATENCY_US" --sim-switch-us 2000 \
  --duration "$DURATION" --json >"$tmp/streams_two_models.json"

echo "scheduler_overhead_bench" >&2
"$BUILD_DIR/scheduler_overhead_bench" --json "$tmp/overhead.json" \
  >"$tmp/overhead.txt"

TAIL_JSON="$REPO/bench/results/session_tail.json"
echo "[" >"$tmp/tail.json"
sep=""
for backends in $BACKENDS; do
  echo "session_tail_bench --backends $backends (${SESSION_TAIL_REPS:-7} repetitions)" >&2
  echo "$sep" >>"$tmp/tail.json"
  "$BUILD_DIR/session_tail_bench" --model="$MODEL" --backends="$backends" \
    --reps="${SESSION_TAIL_REPS:-7}" >>"$tmp/tail.json"
  sep=","
done
echo "]" >>"$tmp/tail.json"
cp "$tmp/tail.json" "$TAIL_JSON"

python3 - "$tmp" "$OUT_JSON" "$MODEL" "$DURATION" "$TAIL_JSON" <<'PY'
import glob, json, os, sys
tmp, out_path, model, duration, tail_path = sys.argv[1:6]
clients = {}
for path in sorted(glob.glob(os.path.join(tmp, "clients_*.json"))):
    doc = json.load(open(path))
    key = (",".join(doc["config"]["backends"]), doc["config"]["mode"])
    clients["%s/%s" % key] = doc
result = {
    "format": "edgerun session bench v1",
    "model": model,
    "duration_s": float(duration),
    "load_average_1m_end": float(open("/proc/loadavg").read().split()[0]),
    "clients": clients,
    "streams": json.load(open(os.path.join(tmp, "streams.json"))),
    "streams_two_models": json.load(open(os.path.join(tmp, "streams_two_models.json"))),
    "scheduler_overhead": json.load(open(os.path.join(tmp, "overhead.json"))),
}

def point(doc, n):
    for p in doc["points"]:
        if p["clients"] == n:
            return p
    return None

summary = {}
print()
print("%-14s %-8s %s" % ("backends", "mode", "  ".join(
    "%13s" % ("%d cl inf/s" % n) for n in (1, 2, 4, 8))) +
      "   thr2/1 thr4/1 thr8/1  p99@8/p50@1  errors")
for key, doc in sorted(clients.items()):
    backends, mode = key.split("/")
    row = {}
    cells = []
    for n in (1, 2, 4, 8):
        p = point(doc, n)
        cells.append("%13.1f" % p["throughput_per_s"] if p else "%13s" % "-")
    p1, p8 = point(doc, 1), point(doc, 8)
    ratios = {}
    if p1 and p1["throughput_per_s"] > 0:
        for n in (2, 4, 8):
            p = point(doc, n)
            if p:
                ratios["throughput_%d_over_1" % n] = p["throughput_per_s"] / p1["throughput_per_s"]
    if p1 and p8 and p1["latency_ms"]["p50"] > 0:
        ratios["p99_at_8_over_p50_at_1"] = p8["latency_ms"]["p99"] / p1["latency_ms"]["p50"]
    errors = sum(p["errors"] for p in doc["points"])
    summary[key] = ratios
    print("%-14s %-8s %s   %6s %6s %6s  %11s  %6d" % (
        backends, mode, "  ".join(cells),
        *("%.2f" % ratios[k] if k in ratios else "-" for k in
          ("throughput_2_over_1", "throughput_4_over_1", "throughput_8_over_1",
           "p99_at_8_over_p50_at_1")), errors))
result["summary"] = summary

print("\nlatency (ms) p50 / p99 per client count:")
for key, doc in sorted(clients.items()):
    print("  %-22s %s" % (key, "   ".join(
        "%d: %.1f / %.1f" % (p["clients"], p["latency_ms"]["p50"], p["latency_ms"]["p99"])
        for p in doc["points"] if p["ok"] > 0)))
    for p in doc["points"]:
        if "session" in p:
            s = p["session"]
            print("  %-22s   %d cl: queue wait p50 %.2f p99 %.2f ms, run p50 %.2f p99 %.2f ms, fallbacks %d" % (
                "", p["clients"], s["queue_wait_ms"]["p50"], s["queue_wait_ms"]["p99"],
                s["run_ms"]["p50"], s["run_ms"]["p99"], s["fallbacks"]))

for name in ("streams", "streams_two_models"):
    doc = result[name]
    c = doc["config"]
    print("\n%s: %d cameras x %g fps, %s, latency %s us, switch %s us, models %s" % (
        name, c["streams"], c["fps"], c["device"], c.get("sim_latency_us"),
        c.get("sim_switch_us"), ", ".join(os.path.basename(m) for m in c["models"])))
    for s in doc["strategies"]:
        print("  %-19s processed %5d dropped %5d late %5d  p50 %8.1f ms  p99 %8.1f ms  switches %s  fairness %.3f  per stream %s" % (
            s["strategy"], s["processed"], s["dropped"], s["late"],
            s["latency_ms"]["p50"], s["latency_ms"]["p99"], s["model_switches"],
            s["fairness_jain"], "/".join(str(x["processed"]) for x in s["streams"])))

o = result["scheduler_overhead"]
print("\nscheduler overhead (us/request, median (min, max)): direct %.2f (%.2f, %.2f), "
      "Session::Run %.2f (%.2f, %.2f), difference %.2f (%.2f, %.2f)" % (
          o["direct_us"]["median"], o["direct_us"]["min"], o["direct_us"]["max"],
          o["session_us"]["median"], o["session_us"]["min"], o["session_us"]["max"],
          o["overhead_us"]["median"], o["overhead_us"]["min"], o["overhead_us"]["max"]))

bars = []
for key in sorted(summary):
    if key.endswith("/session"):
        r = summary[key]
        bars.append("%s: thr2/1 %.2f (bar >= 1.8), p99@8/p50@1 %.2f (bar <= 4.5)" % (
            key, r.get("throughput_2_over_1", float("nan")),
            r.get("p99_at_8_over_p50_at_1", float("nan"))))
bars.append("overhead %.2f us (bar < 20)" % o["overhead_us"]["median"])
for tail in json.load(open(tail_path)):
    ra = tail["ratio_p99_to_p50_1_client"]["actual"]
    ri = tail["ratio_p99_to_p50_1_client"]["ideal_fifo"]
    lost = tail["hiccup_lost_ms_per_s"]
    print("\ntail, %s (%d reps x %g s per phase): p99@8/p50@1 session %.2f (%.2f-%.2f); "
          "ideal FIFO replay of the same process's service times %.2f (%.2f-%.2f); "
          "vCPU time lost %.1f ms/s (%.1f-%.1f)" % (
              tail["backends"], tail["reps"], tail["seconds_per_phase"], ra["median"], ra["min"],
              ra["max"], ri["median"], ri["min"], ri["max"], lost["median"], lost["min"],
              lost["max"]))
    bars.append("tail bench %s p99@8/p50@1 %.2f, ideal FIFO %.2f (bar <= 4.5)" % (
        tail["backends"], ra["median"], ri["median"]))
print("\nissue #5 bars: " + "; ".join(bars))
json.dump(result, open(out_path, "w"), indent=2)
print("wrote " + out_path)
PY
