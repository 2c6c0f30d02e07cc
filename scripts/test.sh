#!/usr/bin/env bash
# Runs every test: sets up (idempotent), builds the normal and the ASan+UBSan trees, runs the
# whole ctest suite on the normal build and the unit/ops/malformed suites under ASan+UBSan,
# then each fuzzer briefly. Fails on any failed or crashed test.
#   scripts/test.sh [--quick]   --quick: normal build only, no sanitizers, no fuzzing, no peer
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
[[ ${1:-} == --quick ]] && QUICK=1
JOBS=$(nproc)
# CI builds with warnings as errors.
if [[ ${CI:-} == true ]]; then
  export CORRAL_CMAKE_ARGS="-DCORRAL_WERROR=ON ${CORRAL_CMAKE_ARGS:-}"
fi

if ((QUICK)); then
  scripts/setup.sh
  echo "== ctest (build/, without the llama.cpp peer checks)"
  ctest --test-dir build --output-on-failure -j"$JOBS" -LE peer --timeout 900
  exit 0
fi

# The full run also installs llama-cpp-python (pip caches the wheel it builds) for the peer checks.
scripts/setup.sh --asan --peer
echo "== ctest (build/)"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 900
# Under ASan+UBSan: the unit, op and malformed-input suites, and the live-server suites labelled
# `sanitize` (the bad-request, client, create, num_thread and CLI-as-client tests).
echo "== ctest under ASan+UBSan (build-asan/, labels unit|ops|malformed|sanitize)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" -L 'unit|ops|malformed|sanitize' -LE 'slow|peer' --timeout 1800
echo "== fuzzers"
CORRAL_FUZZ_DIR=build-asan scripts/fuzz.sh "${CORRAL_FUZZ_SECONDS:-30}"
