#!/usr/bin/env python3
"""Agreement goldens from llama.cpp (llama-cpp-python) on the SmolLM2-135M-Instruct Q4_1 GGUF.

llama.cpp runs with flash attention on (as corral always fuses attention; its F16 rounding is what
corral's round_f16 attention reproduces), F16 KV cache,
n_ctx = n_batch = n_ubatch = 512, 2 threads. Writes tests/golden/llamacpp/smollm2_greedy.json with:

  - prompts: for 5 fixed raw prompts (no chat template), llama.cpp's token ids
    (llama_tokenize with add_special as the vocabulary says -- SmolLM2: no BOS -- and
    parse_special=false) and the greedy 64-token continuation (argmax of the logits at every
    step, no sampler), plus llama.cpp's top-1 minus top-2 logit margin at every step (printed by
    the test where corral diverges). The prompts were fixed before any comparison: a short fact,
    a story opening, code, a science sentence and a list, as raw text;
  - perplexity of the committed text tests/golden/llamacpp/ppl_text.txt, computed the way
    llama-perplexity does: the text is tokenized once (no BOS: the vocabulary adds none), cut
    into consecutive non-overlapping chunks of n_ctx = 512 tokens (a trailing partial chunk is
    dropped), each chunk evaluated from an empty KV cache in one batch, and for each chunk the
    negative log-likelihood of tokens first+1 .. n_ctx-1 is taken from the logits of the
    previous position, first = n_ctx / 2 (the first half is context only). Perplexity is
    exp(mean NLL over all scored tokens). Per-chunk mean NLLs are kept too.

The C++ test tests/unit/runner/llamacpp_agreement_test.cpp (label models) reads this file; it needs
no Python. Run: .venv/bin/python tools/make_llamacpp_goldens.py [--model PATH]
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "tests", "golden", "llamacpp")

PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village by the sea,",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "Water boils at 100 degrees Celsius at sea level. At higher altitudes,",
    "List three primary colors:\n1.",
]
N_PREDICT = 64
PPL_CTX = 512


def default_model():
    path = os.environ.get("CORRAL_SMOLLM2_GGUF")
    if path:
        return path
    out = subprocess.run([os.path.join(REPO, "scripts", "smollm2_path.sh")],
                         capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(REPO, out) if out and not os.path.isabs(out) else out


def last_logits(llm):
    return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).astype(np.float64)


def greedy(llm, prompt_ids, n):
    llm.reset()
    llm.eval(prompt_ids)
    out, margins = [], []
    for _ in range(n):
        logits = last_logits(llm)
        top2 = np.argsort(logits)[-2:]
        tok = int(top2[1])
        margins.append(float(logits[top2[1]] - logits[top2[0]]))
        out.append(tok)
        llm.eval([tok])
    return out, margins


def perplexity(llm, ids):
    n_chunks = len(ids) // PPL_CTX
    first = PPL_CTX // 2
    chunk_nll = []
    total, count = 0.0, 0
    for c in range(n_chunks):
        chunk = ids[c * PPL_CTX:(c + 1) * PPL_CTX]
        llm.reset()
        llm.eval(chunk)
        logits = np.asarray(llm.scores[:PPL_CTX], dtype=np.float64)
        s, k = 0.0, 0
        for j in range(first, PPL_CTX - 1):
            row = logits[j]
            m = row.max()
            lse = m + math.log(np.exp(row - m).sum())
            s += lse - row[chunk[j + 1]]
            k += 1
        chunk_nll.append(s / k)
        total += s
        count += k
    return math.exp(total / count), chunk_nll, n_chunks, count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-flash-attn", dest="flash_attn", action="store_false",
                    help="llama.cpp's unfused attention (corral always runs its fused attention op)")
    args = ap.parse_args()
    model = args.model or default_model()
    if not model or not os.path.exists(model):
        sys.exit(f"model not found: {model!r}")

    import llama_cpp
    def make(logits_all, flash_attn=args.flash_attn):
        return llama_cpp.Llama(model_path=model, n_ctx=PPL_CTX, n_batch=PPL_CTX, n_ubatch=PPL_CTX,
                               logits_all=logits_all, n_threads=args.threads, flash_attn=flash_attn,
                               verbose=False)
    llm = make(False)
    add_bos = bool(llama_cpp.llama_vocab_get_add_bos(llama_cpp.llama_model_get_vocab(llm.model)))

    prompts = []
    for text in PROMPTS:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)
        cont, margins = greedy(llm, ids, N_PREDICT)
        prompts.append({
            "text": text,
            "prompt_ids": ids,
            "greedy_ids": cont,
            "greedy_text": llm.detokenize(cont).decode("utf-8", errors="replace"),
            "top1_margin": [round(m, 4) for m in margins],
        })
        print(f"{text[:40]!r}: {len(ids)} prompt tokens, min margin {min(margins):.4f}")

    del llm
    llm = make(False)

    with open(os.path.join(OUT_DIR, "ppl_text.txt"), "rb") as f:
        text = f.read().decode("utf-8")
    ids = llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)
    del llm
    llm = make(True)
    ppl, chunk_nll, n_chunks, scored = perplexity(llm, ids)
    print(f"perplexity {ppl:.4f} over {n_chunks} chunks ({len(ids)} tokens, {scored} scored)")

    golden = {
        "model": os.path.basename(model),
        "peer": f"llama-cpp-python {llama_cpp.__version__}",
        "flash_attn": args.flash_attn,
        "add_bos": add_bos,
        "parse_special": False,
        "n_predict": N_PREDICT,
        "prompts": prompts,
        "perplexity": {
            "text_file": "ppl_text.txt",
            "method": "llama-perplexity: non-overlapping chunks of n_ctx tokens, each from an empty "
                      "cache, NLL of tokens first+1..n_ctx-1 with first = n_ctx/2, "
                      "ppl = exp(mean NLL over all scored tokens)",
            "n_ctx": PPL_CTX,
            "n_tokens": len(ids),
            "n_chunks": n_chunks,
            "n_scored": scored,
            "text_ids": ids,
            "chunk_mean_nll": [round(x, 6) for x in chunk_nll],
            "ppl": round(ppl, 6),
        },
    }
    path = os.path.join(OUT_DIR, "smollm2_greedy.json")
    with open(path, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
