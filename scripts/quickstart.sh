#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, and run corral on the default model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
MODEL=$(scripts/smollm2_path.sh)
[[ -n $MODEL ]] || { echo "default model not found in .venv" >&2; exit 1; }
echo "== corral show --tensors $MODEL (first lines)"
build/src/cli/corral show --tensors "$MODEL" | head -20
build/src/cli/corral show --tensors "$MODEL" | tail -2
