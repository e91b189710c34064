#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test suite. CI calls this
# (.ci/run). Steps:
#   1. Release build + ctest (unit, golden, conformance, CLI suites)
#   2. ASan+UBSan build (clang) of the suites that parse untrusted input or
#      manage memory (incl. the OTA suites), run under the sanitizers; a
#      TSAN build of the session, scheduler, interpreter, backend, bench
#      client and OTA (hot swap, fetcher, updater) suites
#   3. bounded libFuzzer run over load + full verification (~60 s)
#   4. random mutations of the real models through the CLI (no crash/hang)
# EDGERUN_SHARED_DIR overrides ../shared; EDGERUN_FUZZ_SECONDS the fuzz time;
# EDGERUN_SKIP_SANITIZERS=1 / EDGERUN_SKIP_FUZZ=1 skip steps 2 / 3 locally.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export EDGERUN_SHARED_DIR="${EDGERUN_SHARED_DIR:-$root/../shared}"
[ -d "$EDGERUN_SHARED_DIR/models" ] ||
  echo "test.sh: warning: no shared data at $EDGERUN_SHARED_DIR; shared-data tests will be skipped"

bash scripts/install-deps.sh

step() { printf '\n=== %s\n' "$*"; }

step "Release build"
bash scripts/build.sh build

if [ "${EDGERUN_SKIP_SANITIZERS:-0}" != 1 ]; then
  step "ASan+UBSan build (clang)"
  CC=clang CXX=clang++ bash scripts/build.sh build-asan \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGERUN_SANITIZE="address;undefined"
  step "ASan+UBSan tests"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j 2 -L "unit|fuzz-regression|cli|ota" --timeout 600)
fi

if [ "${EDGERUN_SKIP_SANITIZERS:-0}" != 1 ]; then
  step "TSAN build (clang) of the concurrency suites"
  CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEDGERUN_SANITIZE=thread >/dev/null
  cmake --build build-tsan -j "$(nproc)" --target session_test session_stress_test \
    runtime_test backend_integration_test sim_backend_test cli_bench_clients_test \
    ota_managed_model_test ota_http_fetcher_test ota_update_e2e_test
  step "TSAN tests"
  (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
    ctest --output-on-failure -j 2 --timeout 600 \
      -R "Session|Scheduler|Stream|SwapModel|Interpreter|SharedWeights|Backend|Sim|BenchClients|ManagedModel|HttpFetcher|UpdateE2e")
fi

if [ "${EDGERUN_SKIP_FUZZ:-0}" != 1 ] && [ -x scripts/fuzz.sh ]; then
  step "libFuzzer (${EDGERUN_FUZZ_SECONDS:-60} s)"
  bash scripts/fuzz.sh "${EDGERUN_FUZZ_SECONDS:-60}"
fi

if [ -x scripts/mutate_models.sh ]; then
  step "CLI robustness on mutated models"
  bash scripts/mutate_models.sh build/edgerun
fi

step "Release tests"
cd build
ctest --output-on-failure -j 2 --timeout 900
