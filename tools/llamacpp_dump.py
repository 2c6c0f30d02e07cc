#!/usr/bin/env python3
"""Capture llama.cpp's named intermediate tensors (through ggml's eval callback) as .npy files.

    llamacpp_dump.py OUT_DIR [--model PATH] [--prompt TEXT | --ids 1,2,3] [--decode N]
                     [--filter REGEX] [--no-flash-attn] [--threads 2]

llama-cpp-python exposes ggml's scheduler callback (cb_eval in llama_context_params): it is asked
about every graph node before the graph runs and called again once a node it asked for is
computed. This script keeps every node whose name matches --filter and writes it, per forward
pass, as OUT_DIR/<step>/<name>.npy in PyTorch order (ggml's ne[] reversed, size-1 outer dims
dropped), with order.txt in graph order -- the layout of corral's CORRAL_DEBUG_DUMP, so
tools/compare_dumps.py compares the two folders directly. llama.cpp's "name-<layer>" becomes
"name.<layer>"; a name used by several nodes (llama.cpp names Qcur after the matmul, the reshape
and the rope) is kept once per node as name, name#1, name#2 ...

Step 0000 is the prompt (one batch); steps 0001.. are --decode greedy single-token steps. The
context uses the settings of tools/make_llamacpp_goldens.py (flash attention on, F16 KV cache,
n_ctx = n_batch = n_ubatch = 512) unless told otherwise.
"""
import argparse
import ctypes
import os
import re
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))

GGML_MAX_DIMS = 4
GGML_MAX_SRC = 10
GGML_MAX_OP_PARAMS = 64
GGML_MAX_NAME = 64


class GgmlTensor(ctypes.Structure):
    # struct ggml_tensor of the ggml.h installed with llama-cpp-python (include/ggml.h).
    _fields_ = [
        ("type", ctypes.c_int),
        ("buffer", ctypes.c_void_p),
        ("ne", ctypes.c_int64 * GGML_MAX_DIMS),
        ("nb", ctypes.c_size_t * GGML_MAX_DIMS),
        ("op", ctypes.c_int),
        ("op_params", ctypes.c_int32 * (GGML_MAX_OP_PARAMS // 4)),
        ("flags", ctypes.c_int32),
        ("src", ctypes.c_void_p * GGML_MAX_SRC),
        ("view_src", ctypes.c_void_p),
        ("view_offs", ctypes.c_size_t),
        ("data", ctypes.c_void_p),
        ("name", ctypes.c_char * GGML_MAX_NAME),
        ("extra", ctypes.c_void_p),
        ("padding", ctypes.c_char * 8),
    ]


GGML_TYPE_F32, GGML_TYPE_F16 = 0, 1


def tensor_to_numpy(t):
    """A copy of t's data as float32 in PyTorch order, or None for types other than F32/F16."""
    if t.type == GGML_TYPE_F32:
        dt, es = np.float32, 4
    elif t.type == GGML_TYPE_F16:
        dt, es = np.float16, 2
    else:
        return None
    ne = [int(t.ne[i]) for i in range(GGML_MAX_DIMS)]
    nb = [int(t.nb[i]) for i in range(GGML_MAX_DIMS)]
    span = sum((ne[i] - 1) * nb[i] for i in range(GGML_MAX_DIMS)) + es
    raw = (ctypes.c_char * span).from_address(t.data)
    base = np.frombuffer(raw, dtype=np.uint8, count=span)
    arr = np.lib.stride_tricks.as_strided(base.view(dt), shape=tuple(reversed(ne)), strides=tuple(reversed(nb)))
    arr = np.array(arr, dtype=np.float32)
    while arr.ndim > 1 and arr.shape[0] == 1:
        arr = arr[0]
    return arr


def corral_name(name):
    m = re.fullmatch(r"(.*)-(\d+)", name)
    return f"{m.group(1)}.{m.group(2)}" if m else name


class Capture:
    def __init__(self, out_dir, pattern):
        self.out_dir = out_dir
        self.pattern = re.compile(pattern) if pattern else None
        self.step = -1
        self.seen = {}
        self.order = []
        self.fn = None

    def begin_step(self):
        self.step += 1
        self.seen = {}
        self.order = []
        os.makedirs(self.folder(), exist_ok=True)

    def folder(self):
        return os.path.join(self.out_dir, f"{self.step:04d}")

    def end_step(self):
        with open(os.path.join(self.folder(), "order.txt"), "w") as f:
            f.write("\n".join(self.order) + "\n")

    def wanted(self, name):
        return bool(name) and (self.pattern is None or self.pattern.search(corral_name(name)))

    def callback(self, t_ptr, ask, _user):
        t = GgmlTensor.from_address(t_ptr)
        name = t.name.decode("utf-8", errors="replace")
        if ask:
            return self.wanted(name)
        if not self.wanted(name) or self.step < 0:
            return True
        arr = tensor_to_numpy(t)
        if arr is None:
            return True
        base = corral_name(name)
        k = self.seen.get(base, 0)
        self.seen[base] = k + 1
        out = base if k == 0 else f"{base}#{k}"
        np.save(os.path.join(self.folder(), out + ".npy"), arr)
        self.order.append(out)
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--model", default=None)
    ap.add_argument("--prompt", default="The capital of France is")
    ap.add_argument("--ids", default=None, help="comma-separated token ids instead of --prompt")
    ap.add_argument("--decode", type=int, default=0, help="greedy single-token steps after the prompt")
    ap.add_argument("--filter", default="", help="regex over corral-style names (name.layer)")
    ap.add_argument("--no-flash-attn", dest="flash_attn", action="store_false")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-ctx", type=int, default=512)
    args = ap.parse_args()

    import llama_cpp
    from make_llamacpp_goldens import default_model

    model = args.model or default_model()
    cap = Capture(args.out_dir, args.filter)
    cap.fn = llama_cpp.ggml_backend_sched_eval_callback(cap.callback)
    llm = llama_cpp.Llama(model_path=model, n_ctx=args.n_ctx, n_batch=args.n_ctx, n_ubatch=args.n_ctx,
                          n_threads=args.threads, flash_attn=args.flash_attn, verbose=False)
    # Llama() made its context already; make a second one with the callback set.
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = args.n_ctx
    params.n_batch = args.n_ctx
    params.n_ubatch = args.n_ctx
    params.n_threads = args.threads
    params.n_threads_batch = args.threads
    params.flash_attn_type = 1 if args.flash_attn else 0
    params.cb_eval = cap.fn
    params.cb_eval_user_data = None
    ctx = llama_cpp.llama_init_from_model(llm.model, params)
    if not ctx:
        sys.exit("llama_init_from_model failed")
    if args.ids:
        ids = [int(x) for x in args.ids.split(",")]
    else:
        add_bos = bool(llama_cpp.llama_vocab_get_add_bos(llama_cpp.llama_model_get_vocab(llm.model)))
        ids = llm.tokenize(args.prompt.encode("utf-8"), add_bos=add_bos, special=False)
    n_vocab = llm.n_vocab()

    def run(tokens, pos0):
        batch = llama_cpp.llama_batch_init(len(tokens), 0, 1)
        batch.n_tokens = len(tokens)
        for i, tok in enumerate(tokens):
            batch.token[i] = tok
            batch.pos[i] = pos0 + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = i == len(tokens) - 1
        cap.begin_step()
        rc = llama_cpp.llama_decode(ctx, batch)
        cap.end_step()
        llama_cpp.llama_batch_free(batch)
        if rc != 0:
            sys.exit(f"llama_decode failed: {rc}")
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
        return int(np.argmax(logits))

    tok = run(ids, 0)
    out = [tok]
    for s in range(args.decode):
        tok = run([tok], len(ids) + s)
        out.append(tok)
    with open(os.path.join(args.out_dir, "tokens.txt"), "w") as f:
        f.write("prompt " + ",".join(map(str, ids)) + "\n")
        f.write("greedy " + ",".join(map(str, out)) + "\n")
    print(f"prompt {len(ids)} tokens, {cap.step + 1} steps dumped to {args.out_dir}; greedy {out}")
    llama_cpp.llama_free(ctx)


if __name__ == "__main__":
    main()
