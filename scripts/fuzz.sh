#!/usr/bin/env bash
# CI fuzz step: builds the fuzz configuration (clang, ASan+UBSan, libFuzzer),
# replays fuzz/regression/, builds the seed corpus from ../shared and runs
# load_model_fuzzer for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]        # default 60
#
# Exits 0 when the run ends with no finding; otherwise non-zero, with every
# crash/timeout/oom/leak input copied to fuzz/corpus-work/findings/ and the
# command to reproduce it printed. The corpus grows across runs in
# fuzz/corpus-work/corpus (git-ignored); delete it for a fresh start.
#
# Environment knobs:
#   EDGERUN_SHARED_DIR  shared data (default: <repo>/../shared)
#   FUZZ_BUILD_DIR      build directory (default: <repo>/build-fuzz)
#   FUZZ_WORK_DIR       seeds, corpus, logs, findings
#                       (default: <repo>/fuzz/corpus-work)
#   FUZZ_MAX_LEN        largest input in bytes (default: 65536; the seeds
#                       are made to fit)
#   FUZZ_EXTRA_ARGS     more libFuzzer flags, e.g. "-seed=1"
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_TO_RUN="${1:-60}"
BUILD_DIR="${FUZZ_BUILD_DIR:-$REPO/build-fuzz}"
WORK_DIR="${FUZZ_WORK_DIR:-$REPO/fuzz/corpus-work}"
MAX_LEN="${FUZZ_MAX_LEN:-65536}"
export EDGERUN_SHARED_DIR="${EDGERUN_SHARED_DIR:-$REPO/../shared}"
# Stack traces for UBSan reports too (ASan prints them by default).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

if ! [[ "$SECONDS_TO_RUN" =~ ^[0-9]+$ ]] || [ "$SECONDS_TO_RUN" -lt 1 ]; then
  echo "usage: $0 [SECONDS]  (a positive number of seconds)" >&2
  exit 2
fi

fail_setup() {
  echo "fuzz.sh: $*" >&2
  echo "fuzz.sh: run scripts/install-deps.sh first" >&2
  exit 2
}
command -v clang++ >/dev/null || fail_setup "clang++ not found"
command -v flatc >/dev/null || fail_setup "flatc not found"
command -v python3 >/dev/null || fail_setup "python3 not found"
# libFuzzer's runtime ships in libclang-rt-dev, not in clang itself.
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  fail_setup "clang++ -fsanitize=fuzzer does not link (libclang-rt-dev missing?)"
fi

echo "== configure + build ($BUILD_DIR)"
CC=clang CXX=clang++ cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja \
  -DEDGERUN_BUILD_FUZZERS=ON -DEDGERUN_SANITIZE="address;undefined" \
  -DEDGERUN_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" --target load_model_fuzzer
FUZZER="$BUILD_DIR/load_model_fuzzer"

mkdir -p "$WORK_DIR/corpus" "$WORK_DIR/findings"
ARTIFACTS="$WORK_DIR/artifacts"
rm -rf "$ARTIFACTS" "$WORK_DIR/seeds"
mkdir -p "$ARTIFACTS"
LOG="$WORK_DIR/fuzz.log"

# Copies libFuzzer's artifacts to findings/ and tells how to reproduce.
report_findings() {
  local found=0 f
  for f in "$ARTIFACTS"/*; do
    [ -e "$f" ] || continue
    case "$(basename "$f")" in
      crash-*|timeout-*|oom-*|leak-*) ;;
      *) continue ;;
    esac
    cp "$f" "$WORK_DIR/findings/"
    found=1
    echo "fuzz.sh: FINDING $WORK_DIR/findings/$(basename "$f")" >&2
    echo "  reproduce: $FUZZER $WORK_DIR/findings/$(basename "$f")" >&2
  done
  if [ "$found" = 1 ]; then
    echo "fuzz.sh: sanitizer report (from $LOG):" >&2
    grep -E -A12 '^==[0-9]+==ERROR|^SUMMARY|runtime error|load_model_fuzzer:' \
      "$LOG" | head -40 >&2 || true
    echo "fuzz.sh: minimize with: $FUZZER -minimize_crash=1" \
      "-max_total_time=60 -exact_artifact_path=fuzz/regression/<name> <input>;" \
      "fix the bug and keep the minimized input in fuzz/regression/" >&2
  fi
  return $found
}

echo "== replay fuzz/regression"
mapfile -t regression < <(find "$REPO/fuzz/regression" -type f ! -name '*.md' | sort)
if [ "${#regression[@]}" -gt 0 ]; then
  if ! "$FUZZER" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$ARTIFACTS/" \
      "${regression[@]}" >"$LOG" 2>&1; then
    tail -20 "$LOG" >&2
    echo "fuzz.sh: a regression input fails again:" \
      "$(grep '^Running: ' "$LOG" | tail -1 | cut -d' ' -f2-)" >&2
    exit 1
  fi
  echo "${#regression[@]} inputs ok"
fi

echo "== seed corpus"
python3 "$REPO/fuzz/make_seed_corpus.py" "$WORK_DIR/seeds" --max-len "$MAX_LEN"

echo "== fuzzing for ${SECONDS_TO_RUN}s (log: $LOG)"
status=0
start="$(date +%s)"
# shellcheck disable=SC2086  # FUZZ_EXTRA_ARGS is a list of flags
"$FUZZER" \
  -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -timeout=10 \
  -max_len="$MAX_LEN" -use_value_profile=1 -dict="$REPO/fuzz/tflite.dict" \
  -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 \
  ${FUZZ_EXTRA_ARGS:-} \
  "$WORK_DIR/corpus" "$WORK_DIR/seeds" >"$LOG" 2>&1 || status=$?
elapsed=$(($(date +%s) - start))

execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -1)"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG" | tail -1)"
cov="$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$LOG" | tail -1 || true)"
echo "executions: ${execs:-unknown} in ${elapsed}s (${rate:-?} exec/s); ${cov}"

if ! report_findings || [ "$status" -ne 0 ]; then
  [ "$status" -ne 0 ] && echo "fuzz.sh: libFuzzer exited with $status" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
