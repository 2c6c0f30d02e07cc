#!/usr/bin/env python3
"""Peer check of corral's quantizers against llama.cpp's (llama-cpp-python's llama_model_quantize)
on the same F32 GGUF: for q4_K_M, q8_0 and q4_0, every tensor gets the same type from both, and
corral's per-tensor dequantization RMSE against the F32 source is at most 1.01x llama.cpp's
(dequantized with the gguf package, an independent implementation of the block formats). The
quantized files also load and run in llama.cpp.

The F32 source is written here with the gguf package: a llama with rows of 256 (so the K-quants
apply), random heavy-tailed weights, and the tokenizer section of the converted tiny llama fixture.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import gguf

try:
    import llama_cpp
except ImportError:
    print("llama-cpp-python is not installed: skipping")
    sys.exit(0)

BIN = os.environ["CORRAL_BIN"]
REPO = Path(os.environ.get("CORRAL_REPO_DIR", Path(__file__).resolve().parents[2]))
FIXTURE = REPO / "tests/golden/convert/llama_bpe"
RATIO = 1.01
TYPES = {"q4_K_M": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M, "q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0,
         "q4_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0}
HIDDEN, FFN, LAYERS, HEADS, KV_HEADS = 256, 512, 4, 4, 1
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
import corral_testlib as tl  # noqa: E402

check = tl.Checks()
failures = check.failures


def write_source(tok_gguf, out):
    """A llama F32 GGUF with the tokenizer keys of tok_gguf and random weights."""
    r = gguf.GGUFReader(str(tok_gguf))
    vocab = len(r.fields["tokenizer.ggml.tokens"].contents())
    w = gguf.GGUFWriter(str(out), "llama")
    for f in r.fields.values():
        if not f.name.startswith("tokenizer."):
            continue
        v = f.contents()
        if f.types[0] == gguf.GGUFValueType.ARRAY:
            w.add_array(f.name, v)
        elif f.types[0] == gguf.GGUFValueType.STRING:
            w.add_string(f.name, v)
        elif f.types[0] == gguf.GGUFValueType.BOOL:
            w.add_bool(f.name, v)
        else:
            w.add_uint32(f.name, int(v))
    w.add_name("rmse")
    w.add_context_length(128)
    w.add_embedding_length(HIDDEN)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(HIDDEN // HEADS)
    w.add_vocab_size(vocab)
    w.add_file_type(0)
    rng = np.random.default_rng(7)
    hd = HIDDEN // HEADS

    def mat(rows, cols):
        # Student-t: heavy tails like trained weights; a few large outliers per row.
        return (rng.standard_t(5, size=(rows, cols)) * 0.02).astype(np.float32)

    w.add_tensor("token_embd.weight", mat(vocab, HIDDEN))
    for i in range(LAYERS):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32))
        w.add_tensor(p + "attn_q.weight", mat(HIDDEN, HIDDEN))
        w.add_tensor(p + "attn_k.weight", mat(KV_HEADS * hd, HIDDEN))
        w.add_tensor(p + "attn_v.weight", mat(KV_HEADS * hd, HIDDEN))
        w.add_tensor(p + "attn_output.weight", mat(HIDDEN, HIDDEN))
        w.add_tensor(p + "ffn_norm.weight", (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32))
        w.add_tensor(p + "ffn_gate.weight", mat(FFN, HIDDEN))
        w.add_tensor(p + "ffn_up.weight", mat(FFN, HIDDEN))
        w.add_tensor(p + "ffn_down.weight", mat(HIDDEN, FFN))
    w.add_tensor("output_norm.weight", np.ones(HIDDEN, dtype=np.float32))
    w.add_tensor("output.weight", mat(vocab, HIDDEN))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


def tensors(path):
    r = gguf.GGUFReader(str(path))
    out = {}
    for t in r.tensors:
        data = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type)
        out[t.name] = (t.tensor_type.name, np.asarray(data, dtype=np.float64).reshape(-1))
    return out


def run_llama(path):
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=64, logits_all=True, verbose=False)
    ids = llm.tokenize(b"Hello, how are you?", add_bos=True)
    llm.eval(ids)
    logits = np.array(llm.scores[: len(ids)])
    del llm
    return logits


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tok = tmp / "tok.gguf"
        subprocess.run([BIN, "quantize", str(FIXTURE), str(tok), "f32"], check=True, capture_output=True)
        src = tmp / "src-f32.gguf"
        write_source(tok, src)
        ref = tensors(src)
        for name, ftype in TYPES.items():
            ours_path, theirs_path = tmp / f"corral-{name}.gguf", tmp / f"llamacpp-{name}.gguf"
            subprocess.run([BIN, "quantize", str(src), str(ours_path), name], check=True, capture_output=True)
            params = llama_cpp.llama_model_quantize_default_params()
            params.ftype = ftype
            params.nthread = 2
            rc = llama_cpp.llama_model_quantize(str(src).encode(), str(theirs_path).encode(), params)
            check(rc == 0, f"llama.cpp quantize {name}: rc {rc}")
            ours, theirs = tensors(ours_path), tensors(theirs_path)
            check(set(ours) == set(theirs), f"{name}: tensor names differ")
            worst = {}
            for t in sorted(ref):
                if t not in ours or t not in theirs:
                    continue
                (ot, ov), (tt, tv) = ours[t], theirs[t]
                check(ot == tt, f"{name} {t}: type {ot}, llama.cpp {tt}")
                if ot == "F32":
                    continue
                src_v = ref[t][1]
                r_ours = float(np.sqrt(np.mean((ov - src_v) ** 2)))
                r_theirs = float(np.sqrt(np.mean((tv - src_v) ** 2)))
                ratio = r_ours / r_theirs if r_theirs > 0 else (1.0 if r_ours == 0 else float("inf"))
                check(ratio <= RATIO, f"{name} {t} ({ot}): RMSE {r_ours:.6g} vs llama.cpp {r_theirs:.6g} (x{ratio:.4f})")
                if ratio > worst.get(ot, (0, ""))[0]:
                    worst[ot] = (ratio, t)
            for ot, (ratio, t) in sorted(worst.items()):
                print(f"{name}: {ot}: worst RMSE ratio corral/llama.cpp {ratio:.4f} ({t})")
            # Both files load and run in llama.cpp and give close logits.
            lo, lt = run_llama(ours_path), run_llama(theirs_path)
            check(np.isfinite(lo).all(), f"{name}: corral's file gives finite logits in llama.cpp")
            print(f"{name}: llama.cpp runs corral's file; max |logit diff| vs llama.cpp's own file "
                  f"{float(np.max(np.abs(lo - lt))):.4f}")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("quant rmse peer: all checks passed")


if __name__ == "__main__":
    main()
