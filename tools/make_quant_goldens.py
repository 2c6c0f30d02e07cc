#!/usr/bin/env python3
"""Writes the quantization goldens under tests/golden/quant/ from the gguf PyPI package.

Files (all little-endian raw arrays, no headers):
  input.f32            N float32 inputs (several distributions and edge cases, N = 4096)
  <t>.blocks           gguf.quants.quantize(input, t) for t in f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0
  <t>.dequant.f32      gguf.quants.dequantize(<t>.blocks, t)
  <k>.blocks           random but valid K-quant super-blocks (k in q2_k..q6_k, 16 blocks each)
  <k>.dequant.f32      gguf.quants.dequantize(<k>.blocks, k)
  kquant_input.f32     16384 float32 N(0,1) values (64 rows of 256) for quantizer quality checks
  kquant_rmse.txt      "<type> <rmse>" lines: llama.cpp's own quantizer (ggml_quantize_chunk from
                       the libggml-base that llama-cpp-python ships) on kquant_input.f32, its
                       blocks dequantized by the gguf package: the bar our quantizers must meet
Run: .venv/bin/python tools/make_quant_goldens.py
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden", "quant")
N = 4096


def make_input(rng):
    parts = [
        rng.standard_normal(1024).astype(np.float32),
        rng.uniform(-3, 3, 1024).astype(np.float32),
        (rng.standard_normal(512) * 1e-3).astype(np.float32),
        (rng.standard_t(3, 512) * 4).astype(np.float32),   # heavy tails
    ]
    edge = np.zeros(1024, dtype=np.float32)
    edge[32:64] = 0.25                                       # a constant block
    edge[64:96] = rng.standard_normal(32); edge[70] = 40.0   # an outlier
    edge[96:128] = rng.standard_normal(32); edge[100] = 5.0; edge[110] = -5.0  # |max| tie, + first
    edge[128:160] = rng.standard_normal(32); edge[130] = -5.0; edge[140] = 5.0  # |max| tie, - first
    edge[160:192] = np.arange(32, dtype=np.float32) - 16     # exact grid values (rounding ties)
    edge[192:224] = (np.arange(32, dtype=np.float32) - 16) * 0.5
    edge[224:256] = -np.abs(rng.standard_normal(32))        # all negative
    edge[256:288] = np.abs(rng.standard_normal(32))         # all positive
    edge[288:320] = rng.standard_normal(32) * 1e4            # large, still in fp16 range
    edge[320:352] = rng.standard_normal(32) * 1e-6           # fp16 subnormal scales
    edge[352:1024] = rng.standard_normal(672) * rng.uniform(0.01, 10, 672)
    return np.concatenate(parts + [edge])


def random_k_blocks(rng, qtype, nblocks):
    """Random bytes for a K-quant tensor with finite, moderate fp16 scale fields."""
    block_size, type_size = quants.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(nblocks, type_size), dtype=np.uint8)
    def put_half(offset):
        vals = rng.uniform(-0.05, 0.05, nblocks).astype(np.float16)
        raw[:, offset:offset + 2] = vals.view(np.uint8).reshape(nblocks, 2)
    if qtype == T.Q2_K:
        put_half(80); put_half(82)
    elif qtype == T.Q3_K:
        put_half(108)
    elif qtype in (T.Q4_K, T.Q5_K):
        put_half(0); put_half(2)
    elif qtype == T.Q6_K:
        put_half(208)
    return raw


def ggml_rmse(x):
    """RMSE of llama.cpp's quantizers (no importance matrix) on x, per type name."""
    import ctypes
    import glob
    libs = glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "llama_cpp", "lib",
                                  "libggml-base.so"))
    if not libs:
        sys.exit("llama-cpp-python is not installed in this Python (needed for kquant_rmse.txt)")
    lib = ctypes.CDLL(libs[0])
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    rows, cols = x.shape
    out = {}
    for name, qt in [("q2_k", T.Q2_K), ("q3_k", T.Q3_K), ("q4_k", T.Q4_K), ("q5_k", T.Q5_K),
                     ("q6_k", T.Q6_K), ("q4_0", T.Q4_0), ("q8_0", T.Q8_0)]:
        _, type_size = quants.GGML_QUANT_SIZES[qt]
        dst = np.zeros(rows * cols // quants.GGML_QUANT_SIZES[qt][0] * type_size, dtype=np.uint8)
        src = np.ascontiguousarray(x, dtype=np.float32)
        lib.ggml_quantize_chunk(int(qt), src.ctypes.data, dst.ctypes.data, 0, rows, cols, None)
        deq = quants.dequantize(dst.reshape(rows, -1), qt)
        out[name] = float(np.sqrt(np.mean((deq.astype(np.float64) - x) ** 2)))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    x = make_input(rng)
    assert x.size == N and x.dtype == np.float32
    x.tofile(os.path.join(OUT, "input.f32"))
    plain = {"f16": T.F16, "bf16": T.BF16, "q4_0": T.Q4_0, "q4_1": T.Q4_1, "q5_0": T.Q5_0,
             "q5_1": T.Q5_1, "q8_0": T.Q8_0}
    for name, qt in plain.items():
        blocks = quants.quantize(x.reshape(1, N), qt)
        blocks = np.ascontiguousarray(blocks).view(np.uint8)
        blocks.tofile(os.path.join(OUT, f"{name}.blocks"))
        deq = quants.dequantize(blocks, qt).astype(np.float32)
        deq.tofile(os.path.join(OUT, f"{name}.dequant.f32"))
    for name, qt in {"q2_k": T.Q2_K, "q3_k": T.Q3_K, "q4_k": T.Q4_K, "q5_k": T.Q5_K, "q6_k": T.Q6_K}.items():
        raw = random_k_blocks(rng, qt, 16)
        raw.tofile(os.path.join(OUT, f"{name}.blocks"))
        deq = quants.dequantize(raw.reshape(1, -1), qt).astype(np.float32)
        deq.tofile(os.path.join(OUT, f"{name}.dequant.f32"))
    kx = rng.standard_normal((64, 256)).astype(np.float32)
    kx.tofile(os.path.join(OUT, "kquant_input.f32"))
    with open(os.path.join(OUT, "kquant_rmse.txt"), "w") as f:
        for name, rmse in ggml_rmse(kx).items():
            f.write(f"{name} {rmse:.6g}\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes to {os.path.normpath(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
