#!/usr/bin/env python3
"""Capture a transformers forward pass as corral-named .npy dumps (for tools/compare_dumps.py).

Forward hooks on the Hugging Face modules (and a wrapper around the modeling file's
apply_rotary_pos_emb, which is a function, not a module) record the same intermediate tensors
corral's models name (llama.cpp's vocabulary), in corral's shapes and layouts:

  inp_embd, attn_norm.L, Qcur.L, Kcur.L, Vcur.L [T, heads, head_dim], q_rope.L, k_rope.L,
  kqv_out.L [T, heads*head_dim], attn_out.L, ffn_inp.L, ffn_norm.L, ffn_out.L, l_out.L,
  result_norm, result_output [T, vocab]

For llama, GGUF stores Q/K rows permuted (interleaved RoPE pairs), so Qcur/Kcur/q_rope/k_rope
are permuted the same way here before saving; everything after attention is layout-free.
Files are OUT/<name>.npy plus OUT/order.txt (capture order). Batch size 1, one forward pass.

  .venv/bin/python tools/capture_hf_dump.py --tiny llama --n-tokens 8 --out DIR
  .venv/bin/python tools/capture_hf_dump.py --hf-dir PATH --tokens ids.npy --out DIR
"""
import argparse
import importlib
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SUPPORTED = {"llama": "transformers.models.llama.modeling_llama",
             "qwen2": "transformers.models.qwen2.modeling_qwen2"}


def to_corral_rope_layout(x):
    """[T, H, D] in HF's half-split layout -> GGUF llama's interleaved-pair layout."""
    t, h, d = x.shape
    return x.reshape(t, h, 2, d // 2).swapaxes(2, 3).reshape(t, h, d)


class Recorder:
    def __init__(self, out_dir, arch, n_heads, n_kv_heads, head_dim):
        self.out = out_dir
        self.arch = arch
        self.heads = {"Q": n_heads, "K": n_kv_heads, "V": n_kv_heads}
        self.head_dim = head_dim
        self.order = []
        self.layer = -1

    def save(self, name, tensor, layer=None):
        a = tensor.detach().float().cpu().numpy()
        if a.ndim >= 1 and a.shape[0] == 1:
            a = a[0]  # batch of one
        key = name if layer is None else f"{name}.{layer}"
        np.save(os.path.join(self.out, key + ".npy"), np.ascontiguousarray(a, dtype=np.float32))
        self.order.append(key)

    def save_heads(self, name, tensor, kind, layer, permuted):
        a = tensor.detach().float()[0]
        a = a.reshape(a.shape[0], self.heads[kind], self.head_dim)
        if permuted and self.arch == "llama":
            a = to_corral_rope_layout(a)
        self.save(name, a, layer)


def first(x):
    return x[0] if isinstance(x, (tuple, list)) else x


def install_hooks(model, rec):
    import torch  # noqa: F401

    arch = model.config.model_type
    inner = model.model
    inner.embed_tokens.register_forward_hook(lambda m, i, o: rec.save("inp_embd", o))
    for il, layer in enumerate(inner.layers):
        def set_layer(m, args, il=il):
            rec.layer = il
        layer.register_forward_pre_hook(set_layer)
        layer.input_layernorm.register_forward_hook(lambda m, i, o, il=il: rec.save("attn_norm", o, il))
        at = layer.self_attn
        at.q_proj.register_forward_hook(lambda m, i, o, il=il: rec.save_heads("Qcur", o, "Q", il, True))
        at.k_proj.register_forward_hook(lambda m, i, o, il=il: rec.save_heads("Kcur", o, "K", il, True))
        at.v_proj.register_forward_hook(lambda m, i, o, il=il: rec.save_heads("Vcur", o, "V", il, False))
        at.o_proj.register_forward_pre_hook(lambda m, i, il=il: rec.save("kqv_out", i[0], il))
        at.o_proj.register_forward_hook(lambda m, i, o, il=il: rec.save("attn_out", o, il))
        layer.post_attention_layernorm.register_forward_pre_hook(lambda m, i, il=il: rec.save("ffn_inp", i[0], il))
        layer.post_attention_layernorm.register_forward_hook(lambda m, i, o, il=il: rec.save("ffn_norm", o, il))
        layer.mlp.register_forward_hook(lambda m, i, o, il=il: rec.save("ffn_out", o, il))
        layer.register_forward_hook(lambda m, i, o, il=il: rec.save("l_out", first(o), il))
    inner.norm.register_forward_hook(lambda m, i, o: rec.save("result_norm", o))
    model.lm_head.register_forward_hook(lambda m, i, o: rec.save("result_output", o))

    # RoPE is a function in the modeling file: wrap it to record its outputs ([B, H, T, D]).
    mod = importlib.import_module(SUPPORTED[arch])
    original = mod.apply_rotary_pos_emb

    def wrapped(q, k, *args, **kwargs):
        q_embed, k_embed = original(q, k, *args, **kwargs)
        for name, t, kind in (("q_rope", q_embed, "Q"), ("k_rope", k_embed, "K")):
            a = t.detach().float()[0].transpose(0, 1)  # [T, H, D]
            if arch == "llama":
                a = to_corral_rope_layout(a)
            rec.save(name, a, rec.layer)
        return q_embed, k_embed

    mod.apply_rotary_pos_emb = wrapped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--tiny", help="a spec of tools/make_model_goldens.py (llama, llama3_rope, qwen2)")
    src.add_argument("--hf-dir", help="a transformers checkpoint directory")
    ap.add_argument("--tokens", help="token ids (.npy); default: the tiny spec's golden prompt")
    ap.add_argument("--n-tokens", type=int, default=0, help="use only the first N tokens")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    import torch

    if args.tiny:
        import make_model_goldens as goldens
        spec = goldens.SPECS[args.tiny]
        model = goldens.build_hf_model(spec)
        tokens = goldens.prompt_tokens(spec)
    else:
        import transformers
        model = transformers.AutoModelForCausalLM.from_pretrained(
            args.hf_dir, torch_dtype=torch.float32, attn_implementation="eager").eval()
        tokens = None
    if args.tokens:
        tokens = np.load(args.tokens).astype(np.int64)
    if tokens is None:
        sys.exit("capture_hf_dump: --tokens is required with --hf-dir")
    if args.n_tokens:
        tokens = tokens[:args.n_tokens]
    cfg = model.config
    if cfg.model_type not in SUPPORTED:
        sys.exit(f"capture_hf_dump: model type {cfg.model_type!r} has no name mapping yet")
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    os.makedirs(args.out, exist_ok=True)
    rec = Recorder(args.out, cfg.model_type, cfg.num_attention_heads, cfg.num_key_value_heads, head_dim)
    install_hooks(model, rec)
    with torch.no_grad():
        model(torch.tensor(np.asarray(tokens, dtype=np.int64)[None, :]))
    with open(os.path.join(args.out, "order.txt"), "w") as f:
        f.write("\n".join(rec.order) + "\n")
    print(f"captured {len(rec.order)} tensors over {len(tokens)} tokens to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
