#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) in build-fuzz/ and runs each for N seconds
# (default 60) on its seed corpus (fuzz/corpus/<name>/, copied to a scratch folder).
#   scripts/fuzz.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCORRAL_FUZZ=ON -DCORRAL_BUILD_TESTS=OFF -DCORRAL_BUILD_BENCH=OFF \
    -DCORRAL_SANITIZE=address,undefined >/dev/null
fi
ninja -C build-fuzz fuzzers >/dev/null
NAMES=("$@")
if ((${#NAMES[@]} == 0)); then
  for f in fuzz/*_fuzzer.cpp; do NAMES+=("$(basename "$f" .cpp)"); done
fi
STATUS=0
for name in "${NAMES[@]}"; do
  work=build-fuzz/corpus-run/$name
  rm -rf "$work" && mkdir -p "$work"
  seed=fuzz/corpus/${name%_fuzzer}
  [[ -d $seed ]] && cp -r "$seed"/. "$work"/
  echo "fuzz $name for ${SECONDS_EACH}s"
  if ! ASAN_OPTIONS=detect_leaks=1 build-fuzz/fuzz/"$name" -max_total_time="$SECONDS_EACH" \
       -rss_limit_mb=2048 -timeout=10 -artifact_prefix=build-fuzz/ -print_final_stats=1 "$work" \
       > build-fuzz/"$name".log 2>&1; then
    echo "FAILED: $name (log: build-fuzz/$name.log)"; tail -30 build-fuzz/"$name".log
    STATUS=1
  else
    grep -E "stat::number_of_executed_units" build-fuzz/"$name".log || true
  fi
done
exit $STATUS
