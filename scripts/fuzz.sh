#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for N seconds (default 60) on
# its seed corpus (fuzz/corpus/<name>/, copied to a scratch folder). The tree is CORRAL_FUZZ_DIR
# (default build-fuzz/, configured here if missing; scripts/test.sh uses build-asan/, which
# setup.sh --asan configures with the fuzzers).
#   scripts/fuzz.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
FZ=${CORRAL_FUZZ_DIR:-build-fuzz}
if [[ ! -f $FZ/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$FZ" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCORRAL_FUZZ=ON -DCORRAL_BUILD_TESTS=OFF -DCORRAL_BUILD_BENCH=OFF \
    -DCORRAL_SANITIZE=address,undefined >/dev/null
fi
ninja -C "$FZ" fuzzers >/dev/null
NAMES=("$@")
if ((${#NAMES[@]} == 0)); then
  for f in fuzz/*_fuzzer.cpp; do NAMES+=("$(basename "$f" .cpp)"); done
fi
STATUS=0
for name in "${NAMES[@]}"; do
  work=$FZ/corpus-run/$name
  rm -rf "$work" && mkdir -p "$work"
  seed=fuzz/corpus/${name%_fuzzer}
  [[ -d $seed ]] && cp -r "$seed"/. "$work"/
  echo "fuzz $name for ${SECONDS_EACH}s"
  if ! ASAN_OPTIONS=detect_leaks=1 "$FZ"/fuzz/"$name" -max_total_time="$SECONDS_EACH" \
       -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$FZ"/ -print_final_stats=1 "$work" \
       > "$FZ"/"$name".log 2>&1; then
    echo "FAILED: $name (log: $FZ/$name.log)"; tail -30 "$FZ"/"$name".log
    STATUS=1
  else
    grep -E "stat::number_of_executed_units" "$FZ"/"$name".log || true
  fi
done
exit $STATUS
