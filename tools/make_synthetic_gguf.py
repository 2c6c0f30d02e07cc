#!/usr/bin/env python3
"""Writes synthetic GGUFs with real model shapes and random weights, for speed benchmarks.

  make_synthetic_gguf.py --model llama3.2-1b --type Q4_0 --out /tmp/llama1b-q4_0.gguf

Models: llama3.2-1b (hidden 2048, 16 layers, 32 heads, 8 KV heads, FFN 8192, vocab 128256, tied
embeddings, llama3 rope frequency factors) and qwen2.5-0.5b (hidden 896, 24 layers, 14 heads,
2 KV heads, FFN 4864, vocab 151936, tied embeddings, q/k/v biases). Types: F16, Q8_0, Q4_0, Q4_K_M.
The tokenizer section is copied from the matching vocab-only GGUF in ../shared/testdata/tokenizers,
so llama.cpp (and corral) load the file like a real model. Quantized blocks are random bytes with
small finite fp16 scales: the values are meaningless, the shapes, types and sizes are real.
"""
import argparse
import os
import sys

import numpy as np
import gguf

MODELS = {
    "llama3.2-1b": dict(arch="llama", hidden=2048, layers=16, heads=32, kv_heads=8, ffn=8192,
                        vocab=128256, ctx=131072, rope_base=500000.0, eps=1e-5, bias=False,
                        vocab_file="ggml-vocab-llama-bpe.gguf", llama3_rope=True),
    "qwen2.5-0.5b": dict(arch="qwen2", hidden=896, layers=24, heads=14, kv_heads=2, ffn=4864,
                         vocab=151936, ctx=32768, rope_base=1000000.0, eps=1e-6, bias=True,
                         vocab_file="ggml-vocab-qwen2.gguf", llama3_rope=False),
}
Q = gguf.GGMLQuantizationType
FILE_TYPES = {"F16": 1, "Q4_0": 2, "Q8_0": 7, "Q4_K_M": 15}


def random_blocks(rng, qtype, rows, cols):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    assert cols % block_size == 0
    nblocks = rows * cols // block_size
    data = rng.integers(0, 256, size=(nblocks, type_size), dtype=np.uint8)
    def set_f16(offset, scale):
        vals = (rng.random(nblocks, dtype=np.float32) * scale + scale * 0.1).astype(np.float16)
        data[:, offset:offset + 2] = vals.view(np.uint8).reshape(nblocks, 2)
    if qtype in (Q.Q4_0, Q.Q8_0, Q.Q5_0):
        set_f16(0, 0.002)
    elif qtype == Q.Q4_K:
        set_f16(0, 0.0005)
        set_f16(2, 0.0005)
    elif qtype == Q.Q6_K:
        set_f16(208, 0.0005)
        data[:, 192:208] = rng.integers(-16, 16, size=(nblocks, 16), dtype=np.int8).view(np.uint8)
    else:
        raise ValueError(qtype)
    return data.reshape(rows, (cols // block_size) * type_size)


def more_bits(layer, n_layers):
    # llama.cpp's Q4_K_M rule for attn_v / ffn_down: first and last eighth, and every third layer
    return layer < n_layers // 8 or layer >= 7 * n_layers // 8 or (layer - n_layers // 8) % 3 == 2


def weight_type(ftype, name, layer, n_layers):
    if ftype == "F16":
        return Q.F16
    if ftype == "Q8_0":
        return Q.Q8_0
    if ftype == "Q4_0":
        return Q.Q4_0
    # Q4_K_M
    if name == "token_embd":
        return Q.Q6_K  # tied embeddings double as the output projection
    if name in ("attn_v", "ffn_down") and more_bits(layer, n_layers):
        return Q.Q6_K
    return Q.Q4_K


def add_weight(w, rng, name, rows, cols, qtype):
    if cols % gguf.GGML_QUANT_SIZES[qtype][0] != 0:
        # llama.cpp's fallback when a row is not a whole number of 256-element super-blocks
        qtype = {Q.Q4_K: Q.Q5_0, Q.Q6_K: Q.Q8_0}[qtype]
    if qtype == Q.F16:
        w.add_tensor(name, (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16))
    else:
        w.add_tensor(name, random_blocks(rng, qtype, rows, cols), raw_dtype=qtype)


def copy_tokenizer(w, vocab_path):
    r = gguf.GGUFReader(vocab_path)
    for field in r.fields.values():
        if not field.name.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            sub = field.types[1]
            if sub == gguf.GGUFValueType.STRING:
                vals = [bytes(field.parts[i]) for i in field.data]
            else:
                vals = [field.parts[i].tolist()[0] for i in field.data]
            w.add_key_value(field.name, vals, vtype, sub_type=sub)
        elif vtype == gguf.GGUFValueType.STRING:
            w.add_key_value(field.name, bytes(field.parts[field.data[0]]).decode("utf-8"), vtype)
        else:
            w.add_key_value(field.name, field.parts[field.data[0]].tolist()[0], vtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=sorted(MODELS), required=True)
    ap.add_argument("--type", choices=sorted(FILE_TYPES), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--testdata", default=os.environ.get("CORRAL_TESTDATA_DIR",
                    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "testdata")))
    args = ap.parse_args()
    m = MODELS[args.model]
    rng = np.random.default_rng(args.seed)
    arch, hidden, n_layers = m["arch"], m["hidden"], m["layers"]
    head_dim = hidden // m["heads"]
    kv_dim = head_dim * m["kv_heads"]

    tmp = args.out + ".tmp"
    w = gguf.GGUFWriter(tmp, arch)
    w.add_name(f"synthetic-{args.model}-{args.type}")
    w.add_context_length(m["ctx"])
    w.add_embedding_length(hidden)
    w.add_block_count(n_layers)
    w.add_feed_forward_length(m["ffn"])
    w.add_head_count(m["heads"])
    w.add_head_count_kv(m["kv_heads"])
    w.add_rope_freq_base(m["rope_base"])
    w.add_layer_norm_rms_eps(m["eps"])
    w.add_rope_dimension_count(head_dim)
    w.add_vocab_size(m["vocab"])
    w.add_file_type(FILE_TYPES[args.type])
    copy_tokenizer(w, os.path.join(args.testdata, "tokenizers", m["vocab_file"]))

    add_weight(w, rng, "token_embd.weight", m["vocab"], hidden, weight_type(args.type, "token_embd", 0, n_layers))
    if m["llama3_rope"]:
        # llama3 rope scaling factors (factor 32, low 1, high 4, original context 8192), as converters compute them
        base, factor, low, high, orig = m["rope_base"], 32.0, 1.0, 4.0, 8192
        freqs = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
        wavelen = 2 * np.pi / freqs
        low_wl, high_wl = orig / low, orig / high
        smooth = (orig / wavelen - low) / (high - low)
        f = np.where(wavelen < high_wl, 1.0, np.where(wavelen > low_wl, factor, 1.0 / ((1 - smooth) / factor + smooth)))
        w.add_tensor("rope_freqs.weight", f.astype(np.float32))
    for i in range(n_layers):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(hidden, dtype=np.float32))
        for name, rows in (("attn_q", hidden), ("attn_k", kv_dim), ("attn_v", kv_dim)):
            add_weight(w, rng, p + name + ".weight", rows, hidden, weight_type(args.type, name, i, n_layers))
            if m["bias"]:
                w.add_tensor(p + name + ".bias", (rng.standard_normal(rows, dtype=np.float32) * 0.02))
        add_weight(w, rng, p + "attn_output.weight", hidden, hidden, weight_type(args.type, "attn_output", i, n_layers))
        w.add_tensor(p + "ffn_norm.weight", np.ones(hidden, dtype=np.float32))
        add_weight(w, rng, p + "ffn_gate.weight", m["ffn"], hidden, weight_type(args.type, "ffn_gate", i, n_layers))
        add_weight(w, rng, p + "ffn_up.weight", m["ffn"], hidden, weight_type(args.type, "ffn_up", i, n_layers))
        add_weight(w, rng, p + "ffn_down.weight", hidden, m["ffn"], weight_type(args.type, "ffn_down", i, n_layers))
    w.add_tensor("output_norm.weight", np.ones(hidden, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 2**20:.0f} MiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
