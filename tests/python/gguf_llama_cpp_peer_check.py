#!/usr/bin/env python3
"""Peer check (ctest label `peer`): llama.cpp, through llama-cpp-python, loads SmolLM2's GGUF as
rewritten by corral's reader + writer (the gguf_rewrite test tool) and greedy-decodes the same
32 tokens as from the original file. Fails (does not skip) when llama_cpp is not installed.

Usage: gguf_llama_cpp_peer_check.py PATH/TO/gguf_rewrite"""
import os
import subprocess
import sys
import tempfile

PROMPT = "<|im_start|>user\nWhat is the capital of France? Answer in one sentence.<|im_end|>\n<|im_start|>assistant\n"
N_TOKENS = 32


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def greedy_tokens(llama_cpp, path):
    llm = llama_cpp.Llama(model_path=path, n_ctx=256, n_batch=64, n_threads=2, seed=1234, verbose=False)
    prompt = llm.tokenize(PROMPT.encode("utf-8"), add_bos=True, special=True)
    out = []
    for tok in llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
        out.append(int(tok))
        if len(out) == N_TOKENS:
            break
    text = llm.detokenize(out).decode("utf-8", errors="replace")
    del llm
    return out, text


def main():
    try:
        import llama_cpp
    except ImportError as e:
        fail(f"llama_cpp is not importable in this venv ({e}); install tools/requirements-peer.txt")
    tool = sys.argv[1]
    smol = os.environ.get("CORRAL_SMOLLM2_GGUF", "")
    if not smol or not os.path.exists(smol):
        fail(f"CORRAL_SMOLLM2_GGUF does not name a file: {smol!r}")
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "smollm2_copy.gguf")
        r = subprocess.run([tool, smol, copy], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"gguf_rewrite failed: {r.stderr}")
        want, want_text = greedy_tokens(llama_cpp, smol)
        got, got_text = greedy_tokens(llama_cpp, copy)
    if len(want) != N_TOKENS:
        fail(f"the original produced only {len(want)} tokens")
    if got != want:
        fail(f"tokens differ:\n original {want} {want_text!r}\n rewrite  {got} {got_text!r}")
    print(f"ok: {N_TOKENS} greedy tokens agree: {want_text!r}")


if __name__ == "__main__":
    main()
