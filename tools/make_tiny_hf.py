#!/usr/bin/env python3
"""Writes tests/golden/tiny_llama_hf/: tiny random-weight checkpoints saved by torch and
transformers themselves, plus expected.json (name, shape, dtype, sha256 of the raw bytes of
every tensor as torch holds them). The C++ readers are tested against these without Python.

Run with the repo venv after `pip install torch transformers`:
    .venv/bin/python tools/make_tiny_hf.py [OUT_DIR]

Folders and files written:
  safetensors/          LlamaForCausalLM.save_pretrained (F32)
  torch/                the same model as pytorch_model.bin: config + torch.save(state_dict), which
                        is what save_pretrained(safe_serialization=False) wrote (transformers 5
                        only writes safetensors, so the script does it directly)
  safetensors_sharded/  the model in BF16, save_pretrained with a small max_shard_size
  torch_sharded/        mixed.pt's tensors split into two torch.save shards + pytorch_model.bin.index.json
  mixed.pt              torch.save of a state dict with F32/F16/BF16/I64/BOOL/U8 tensors, a 0-dim
                        tensor, two names sharing one storage (tied) and a contiguous slice with
                        a storage offset (pickle protocol 2, torch's default)
  mixed_p4.pt           the same, pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL opcodes)
  nested.pt             {"model": {...tensors}, "step": 10, "note": "x"}
  noncontig.pt          a transposed (non-contiguous) tensor: readers must refuse it
"""
import collections
import hashlib
import json
import os
import shutil
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM

DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int8: "I8", torch.int16: "I16", torch.int32: "I32", torch.int64: "I64",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def describe(state):
    out = []
    for name in sorted(state):
        t = state[name]
        raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        out.append({"name": name, "shape": list(t.shape), "dtype": DTYPE_NAMES[t.dtype],
                    "sha256": hashlib.sha256(raw).hexdigest()})
    return out


def mixed_state():
    g = torch.Generator().manual_seed(1)
    tied = torch.randn(4, 3, generator=g)
    big = torch.randn(10, 4, generator=g)
    state = collections.OrderedDict()
    state["f32"] = torch.randn(3, 5, generator=g)
    state["f16"] = torch.randn(4, 6, generator=g).half()
    state["bf16"] = torch.randn(2, 3, 4, generator=g).bfloat16()
    state["f64"] = torch.randn(5, generator=g).double()
    state["i64"] = torch.arange(7)
    state["i32"] = torch.arange(-3, 3, dtype=torch.int32)
    state["u8"] = torch.arange(250, 256, dtype=torch.uint8)
    state["flags"] = torch.tensor([True, False, True])
    state["scalar"] = torch.tensor(3.5)
    state["empty"] = torch.zeros(0, 4)
    state["tied.a"] = tied
    state["tied.b"] = tied  # the same tensor: one storage, two names
    state["rows"] = big[3:6]  # contiguous, storage offset 12, storage of 40 elements
    return state


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "tiny_llama_hf")
    out = os.path.abspath(out)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)

    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, intermediate_size=64, vocab_size=64,
                         max_position_embeddings=128, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():  # norms start as ones; make them distinct so hashes mean something
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
    state = model.state_dict()

    model.save_pretrained(os.path.join(out, "safetensors"))
    torch_dir = os.path.join(out, "torch")
    model.config.save_pretrained(torch_dir)
    torch.save(state, os.path.join(torch_dir, "pytorch_model.bin"))

    model_bf16 = LlamaForCausalLM(config).eval()
    model_bf16.load_state_dict(state)
    model_bf16 = model_bf16.to(torch.bfloat16)
    model_bf16.save_pretrained(os.path.join(out, "safetensors_sharded"), max_shard_size="20KB")

    mixed = mixed_state()
    torch.save(mixed, os.path.join(out, "mixed.pt"))
    torch.save(mixed, os.path.join(out, "mixed_p4.pt"), pickle_protocol=4)

    sharded = os.path.join(out, "torch_sharded")
    os.makedirs(sharded)
    names = list(mixed)
    shards = {"pytorch_model-00001-of-00002.bin": names[:6],
              "pytorch_model-00002-of-00002.bin": names[6:]}  # tied.a and tied.b stay together
    weight_map = {}
    for file, keys in shards.items():
        torch.save(collections.OrderedDict((k, mixed[k]) for k in keys), os.path.join(sharded, file))
        weight_map.update({k: file for k in keys})
    with open(os.path.join(sharded, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2, sort_keys=True)

    g = torch.Generator().manual_seed(2)
    nested_model = collections.OrderedDict(w=torch.randn(2, 2, generator=g), b=torch.randn(2, generator=g))
    torch.save({"model": nested_model, "step": 10, "note": "x"}, os.path.join(out, "nested.pt"))
    torch.save({"t": torch.randn(3, 4, generator=g).t()}, os.path.join(out, "noncontig.pt"))

    expected = {
        "model": describe(state),
        "model_bf16": describe(model_bf16.state_dict()),
        "mixed": describe(mixed),
        "nested": describe({"model." + k: v for k, v in nested_model.items()}),
        "torch_version": torch.__version__,
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
