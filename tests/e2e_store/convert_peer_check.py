#!/usr/bin/env python3
"""Peer check: GGUFs converted by corral load in llama.cpp (llama-cpp-python) and agree with it.
Every fixture (llama, qwen2, mistral; from safetensors and from pytorch_model.bin) converted to
F32 gives, in llama.cpp, the logits transformers computed (hf_logits.json) within 1e-3 and tokenizes
like the HF `tokenizers` reference; other float types and quantizations load and evaluate.
"""
import json
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
F32_FIXTURES = ["llama_bpe", "qwen2_bpe", "llama_spm", "mistral_spm", "llama_bpe_bin", "qwen2_bpe_bin",
                "mistral_spm_bin"]
LOGIT_TOL = 1e-3
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
import corral_testlib as tl  # noqa: E402

check = tl.Checks()
failures = check.failures


def main():
    hf = json.loads((GOLDEN / "hf_logits.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        for fixture in F32_FIXTURES:
            out = Path(tmp) / f"{fixture}-f32.gguf"
            subprocess.run([BIN, "quantize", str(GOLDEN / fixture), str(out), "f32"], check=True,
                           capture_output=True)
            llm = llama_cpp.Llama(model_path=str(out), n_ctx=64, logits_all=True, verbose=False)
            tokens = hf[fixture]["tokens"]
            llm.eval(tokens)
            got = np.array(llm.scores[: len(tokens)], dtype=np.float64)
            want = np.array(hf[fixture]["logits"], dtype=np.float64)
            err = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
            check(err <= LOGIT_TOL, f"{fixture} f32: llama.cpp logits vs transformers max |diff| {err:.3g}")
            print(f"{fixture} f32: llama.cpp vs transformers max |logit diff| {err:.2e}")
            del llm
        for fixture, qtype in (("llama_bpe", "f32"), ("qwen2_bpe", "bf16"), ("llama_spm", "f16"),
                               ("llama_bpe", "q4_K_M"), ("qwen2_bpe", "q8_0"),
                               ("mistral_spm", "f16"), ("mistral_spm_bin", "q4_0"), ("llama_bpe_bin", "q8_0")):
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
