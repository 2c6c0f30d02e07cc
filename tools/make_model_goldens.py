#!/usr/bin/env python3
"""Parity goldens for corral's model implementations against Hugging Face transformers.

For each tiny architecture spec below this script builds a random-weight transformers model
(LlamaForCausalLM / Qwen2ForCausalLM, fp32, fixed seed), converts it to an F32 GGUF with the
`gguf` package following the GGUF conventions (llama: Q/K rows permuted so the interleaved
"normal" RoPE layout applies; llama3 rope scaling as rope_freqs.weight factors; tied embeddings
mean no output.weight), and records transformers' logits for a fixed 64-token prompt.

Writes tests/golden/models/<name>/{model.gguf, tokens.npy, logits.npy, tokens2.npy, logits2.npy,
spec.json} (a second, different 24-token prompt for multi-sequence batches).
The C++ tests (tests/models/) need none of torch/transformers; only this script does:

    .venv/bin/python tools/make_model_goldens.py [--out tests/golden/models] [--only NAME]

tools/capture_hf_dump.py reuses build_hf_model() to capture per-layer tensors.
"""
import argparse
import json
import os
import sys

import numpy as np

N_PROMPT = 64
N_PROMPT2 = 24  # a second, different prompt (two sequences in one batch)

# Tiny configs: 2 layers, hidden 64, 4 heads, 2 KV heads, intermediate 128. Seeds were picked so
# that the top-1 logit leads the runner-up by >= 0.017 at every prompt position (argmax checks).
SPECS = {
    "llama": dict(arch="llama", seed=115, vocab=256, hidden=64, layers=2, heads=4, kv_heads=2, ffn=128,
                  rope_theta=10000.0, eps=1e-5, tied=False, rope_scaling=None, max_pos=256),
    "llama3_rope": dict(arch="llama", seed=114, vocab=256, hidden=64, layers=2, heads=4, kv_heads=2, ffn=128,
                        rope_theta=10000.0, eps=1e-5, tied=True, max_pos=256,
                        rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                          high_freq_factor=4.0, original_max_position_embeddings=16)),
    "qwen2": dict(arch="qwen2", seed=109, vocab=256, hidden=64, layers=2, heads=4, kv_heads=2, ffn=128,
                  rope_theta=10000.0, eps=1e-6, tied=True, rope_scaling=None, max_pos=256),
}


def build_hf_model(spec):
    """The transformers model of a spec with deterministic random weights (std 0.08, norms ~1)."""
    import torch
    import transformers

    common = dict(vocab_size=spec["vocab"], hidden_size=spec["hidden"], intermediate_size=spec["ffn"],
                  num_hidden_layers=spec["layers"], num_attention_heads=spec["heads"],
                  num_key_value_heads=spec["kv_heads"], rms_norm_eps=spec["eps"],
                  max_position_embeddings=spec["max_pos"], tie_word_embeddings=spec["tied"],
                  attn_implementation="eager")
    rope = dict(rope_type="default", rope_theta=spec["rope_theta"])
    if spec["rope_scaling"]:
        rope = dict(spec["rope_scaling"], rope_theta=spec["rope_theta"])
    if spec["arch"] == "llama":
        config = transformers.LlamaConfig(rope_parameters=rope, **common)
        cls = transformers.LlamaForCausalLM
    else:
        config = transformers.Qwen2Config(rope_parameters=rope, **common)
        cls = transformers.Qwen2ForCausalLM
    torch.manual_seed(spec["seed"])
    model = cls(config).to(torch.float32).eval()
    gen = torch.Generator().manual_seed(spec["seed"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith(".bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.08 * torch.randn(p.shape, generator=gen))
    return model


def permute_qk(w, n_heads):
    """GGUF llama layout: within each head, rows (i, i + d/2) become adjacent pairs (2i, 2i+1)."""
    rows = w.shape[0]
    d = rows // n_heads
    return w.reshape(n_heads, 2, d // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def rope_freq_factors(model):
    """llama3 scaling as GGUF stores it: per-pair factors dividing the base frequency."""
    rot = model.model.rotary_emb
    cfg = model.config
    head_dim = cfg.hidden_size // cfg.num_attention_heads
    base = cfg.rope_parameters["rope_theta"]
    default = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    scaled = rot.inv_freq.detach().double().numpy()
    return (default / scaled).astype(np.float32)


def hf_to_gguf_tensors(model, spec):
    """(gguf name, numpy array outermost-first) pairs of the converted model."""
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    llama = spec["arch"] == "llama"
    out = [("token_embd.weight", sd["model.embed_tokens.weight"])]
    names = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
             "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
             "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down"}
    for i in range(spec["layers"]):
        for hf, gg in names.items():
            for kind in ("weight", "bias"):
                key = f"model.layers.{i}.{hf}.{kind}"
                if key not in sd:
                    continue
                t = sd[key]
                if llama and gg == "attn_q":
                    t = permute_qk(t, spec["heads"])
                if llama and gg == "attn_k":
                    t = permute_qk(t, spec["kv_heads"])
                out.append((f"blk.{i}.{gg}.{kind}", t))
    out.append(("output_norm.weight", sd["model.norm.weight"]))
    if not spec["tied"]:
        out.append(("output.weight", sd["lm_head.weight"]))
    if spec["rope_scaling"]:
        out.append(("rope_freqs.weight", rope_freq_factors(model)))
    return out


def write_gguf(path, model, spec, name):
    import gguf

    arch = spec["arch"]
    w = gguf.GGUFWriter(path, arch)
    w.add_name(f"corral tiny {name}")
    w.add_context_length(spec["max_pos"])
    w.add_embedding_length(spec["hidden"])
    w.add_block_count(spec["layers"])
    w.add_feed_forward_length(spec["ffn"])
    w.add_head_count(spec["heads"])
    w.add_head_count_kv(spec["kv_heads"])
    w.add_rope_freq_base(spec["rope_theta"])
    w.add_rope_dimension_count(spec["hidden"] // spec["heads"])
    w.add_layer_norm_rms_eps(spec["eps"])
    w.add_file_type(0)  # all F32
    for tname, arr in hf_to_gguf_tensors(model, spec):
        w.add_tensor(tname, np.ascontiguousarray(arr, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def prompt_tokens(spec, which=1):
    rng = np.random.default_rng(spec["seed"] + which)
    n = N_PROMPT if which == 1 else N_PROMPT2
    return rng.integers(0, spec["vocab"], size=n, dtype=np.int64).astype(np.int32)


def hf_logits(model, tokens):
    import torch

    with torch.no_grad():
        out = model(torch.tensor(tokens[None, :], dtype=torch.long))
    return out.logits[0].float().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "models"))
    ap.add_argument("--only", action="append", help="spec name(s) to regenerate")
    args = ap.parse_args()
    for name, spec in SPECS.items():
        if args.only and name not in args.only:
            continue
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        model = build_hf_model(spec)
        tokens = prompt_tokens(spec)
        logits = hf_logits(model, tokens)
        top2 = np.sort(logits, axis=-1)[:, -2:]
        margin = float((top2[:, 1] - top2[:, 0]).min())
        write_gguf(os.path.join(d, "model.gguf"), model, spec, name)
        np.save(os.path.join(d, "tokens.npy"), tokens)
        np.save(os.path.join(d, "logits.npy"), logits.astype(np.float32))
        tokens2 = prompt_tokens(spec, 2)
        np.save(os.path.join(d, "tokens2.npy"), tokens2)
        np.save(os.path.join(d, "logits2.npy"), hf_logits(model, tokens2).astype(np.float32))
        with open(os.path.join(d, "spec.json"), "w") as f:
            import torch
            import transformers
            json.dump(dict(spec, name=name, n_prompt=N_PROMPT, min_top1_margin=margin,
                           torch=torch.__version__, transformers=transformers.__version__), f, indent=1)
            f.write("\n")
        print(f"{name}: logits {logits.shape}, min top1-top2 margin {margin:.4f}, std {logits.std():.3f}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
