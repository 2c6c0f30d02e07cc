#!/usr/bin/env python3
"""Peer check: GGUFs converted by corral (F32, F16 and Q4_K_M) load in llama.cpp
(llama-cpp-python), tokenize like the HF `tokenizers` reference, and evaluate to finite logits.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    import llama_cpp
except ImportError:
    print("llama-cpp-python is not installed: skipping")
    sys.exit(0)
from tokenizers import Tokenizer

BIN = os.environ["CORRAL_BIN"]
REPO = Path(os.environ.get("CORRAL_REPO_DIR", Path(__file__).resolve().parents[2]))
GOLDEN = REPO / "tests/golden/convert"
TEXTS = ["Hello, how are you?", "The quick brown fox jumps over 12345 lazy dogs.\n\nalpha  beta"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for fixture, qtype in (("llama_bpe", "f32"), ("qwen2_bpe", "bf16"), ("llama_spm", "f16"),
                               ("llama_bpe", "q4_K_M"), ("qwen2_bpe", "q8_0")):
            out = Path(tmp) / f"{fixture}-{qtype}.gguf"
            subprocess.run([BIN, "quantize", str(GOLDEN / fixture), str(out), qtype], check=True,
                           capture_output=True)
            llm = llama_cpp.Llama(model_path=str(out), n_ctx=64, logits_all=True, verbose=False)
            if (GOLDEN / fixture / "tokenizer.json").exists():
                ref = Tokenizer.from_file(str(GOLDEN / fixture / "tokenizer.json"))
                for text in TEXTS:
                    got = llm.tokenize(text.encode(), add_bos=False, special=False)
                    want = ref.encode(text, add_special_tokens=False).ids
                    check(got == want, f"{fixture}: tokens of {text!r}: {got} vs {want}")
            ids = llm.tokenize(TEXTS[0].encode(), add_bos=True)
            llm.eval(ids)
            logits = np.array(llm.scores[: len(ids)])
            check(np.isfinite(logits).all() and logits.shape[1] > 0, f"{fixture} {qtype}: logits finite")
            print(f"{fixture} {qtype}: loaded, {len(ids)} tokens evaluated")
            del llm
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("convert peer: all checks passed")


if __name__ == "__main__":
    main()
