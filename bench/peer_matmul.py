#!/usr/bin/env python3
"""llama.cpp's mul_mat on the shapes of bench_matmul, through ggml's C API (ctypes).

Uses the libggml-base/libggml-cpu that llama-cpp-python ships. For each weight type: a graph of
`copies` independent mul_mats (decode: enough weight copies for >= 128 MiB, so weights come
from DRAM as in bench_matmul; prefill: one), computed with ggml_graph_compute_with_ctx on
--threads threads; the time per mul_mat is the median over --reps graph runs.
Prints one line per (type, shape): "peer <type> <decode|prefill> threads=<n> ms=<t> GB/s=<w> GFLOP/s=<f>
cpu_ms=<c> cpuGB/s=<w'> cpuGFLOP/s=<f'>" where cpu_ms is the process CPU time per mul_mat (all threads;
on one thread it is the kernel's speed on a loaded, shared machine).
"""
import argparse
import ctypes
import glob
import os
import statistics
import sys
import time

import numpy as np

K, N = 2048, 8192
COLD_BYTES = 128 << 20
TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q8_0": 8, "Q2_K": 10,
         "Q3_K": 11, "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "BF16": 30}


def load_libs():
    pattern = os.path.join(sys.prefix, "lib", "python3*", "site-packages", "llama_cpp", "lib")
    dirs = glob.glob(pattern)
    if not dirs:
        sys.exit("llama-cpp-python is not installed in " + sys.prefix)
    base = ctypes.CDLL(os.path.join(dirs[0], "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
    cpu = ctypes.CDLL(os.path.join(dirs[0], "libggml-cpu.so"), mode=ctypes.RTLD_GLOBAL)
    return base, cpu


class InitParams(ctypes.Structure):
    _fields_ = [("mem_size", ctypes.c_size_t), ("mem_buffer", ctypes.c_void_p), ("no_alloc", ctypes.c_bool)]


def setup(base, cpu):
    vp, i64, sz = ctypes.c_void_p, ctypes.c_int64, ctypes.c_size_t
    base.ggml_init.restype = vp
    base.ggml_init.argtypes = [InitParams]
    base.ggml_free.argtypes = [vp]
    base.ggml_new_tensor_2d.restype = vp
    base.ggml_new_tensor_2d.argtypes = [vp, ctypes.c_int, i64, i64]
    base.ggml_mul_mat.restype = vp
    base.ggml_mul_mat.argtypes = [vp, vp, vp]
    base.ggml_new_graph_custom.restype = vp
    base.ggml_new_graph_custom.argtypes = [vp, sz, ctypes.c_bool]
    base.ggml_build_forward_expand.argtypes = [vp, vp]
    base.ggml_get_data.restype = vp
    base.ggml_get_data.argtypes = [vp]
    base.ggml_nbytes.restype = sz
    base.ggml_nbytes.argtypes = [vp]
    base.ggml_row_size.restype = sz
    base.ggml_row_size.argtypes = [ctypes.c_int, i64]
    base.ggml_quantize_chunk.restype = sz
    base.ggml_quantize_chunk.argtypes = [ctypes.c_int, vp, vp, i64, i64, i64, vp]
    base.ggml_tensor_overhead.restype = sz
    base.ggml_graph_overhead_custom.restype = sz
    base.ggml_graph_overhead_custom.argtypes = [sz, ctypes.c_bool]
    cpu.ggml_graph_compute_with_ctx.restype = ctypes.c_int
    cpu.ggml_graph_compute_with_ctx.argtypes = [vp, vp, ctypes.c_int]
    cpu.ggml_cpu_init.restype = None
    cpu.ggml_cpu_init()


def quantized_weights(base, qtype, rng):
    """64 distinct random rows (as bench_matmul), quantized by ggml, repeated to N rows."""
    rows = rng.normal(0, 0.02, size=(64, K)).astype(np.float32)
    row_bytes = base.ggml_row_size(qtype, K)
    q = np.zeros(64 * row_bytes, dtype=np.uint8)
    if qtype == TYPES["F32"]:
        q[:] = rows.view(np.uint8).ravel()
    elif qtype == TYPES["F16"]:
        q[:] = rows.astype(np.float16).view(np.uint8).ravel()
    else:
        base.ggml_quantize_chunk(qtype, rows.ctypes.data, q.ctypes.data, 0, 64, K, None)
    return np.tile(q, N // 64), row_bytes


def run(base, cpu, name, m, threads, reps):
    qtype = TYPES[name]
    rng = np.random.default_rng(42)
    wbytes, row_bytes = quantized_weights(base, qtype, rng)
    one = row_bytes * N
    copies = max(1, -(-COLD_BYTES // one)) if m == 1 else 1
    overhead = base.ggml_tensor_overhead() * (2 * copies + 8) + base.ggml_graph_overhead_custom(2 * copies + 8, False)
    mem = int(1.1 * (overhead + copies * (one + 4 * m * N + 256) + 4 * m * K)) + (16 << 20)
    ctx = base.ggml_init(InitParams(mem, None, False))
    if not ctx:
        sys.exit("ggml_init failed")
    x = base.ggml_new_tensor_2d(ctx, 0, K, m)
    xv = np.ctypeslib.as_array(ctypes.cast(base.ggml_get_data(x), ctypes.POINTER(ctypes.c_float)), shape=(m * K,))
    xv[:] = rng.normal(0, 1, size=m * K).astype(np.float32)
    graph = base.ggml_new_graph_custom(ctx, 2 * copies + 8, False)
    for _ in range(copies):
        w = base.ggml_new_tensor_2d(ctx, qtype, K, N)
        ctypes.memmove(base.ggml_get_data(w), wbytes.ctypes.data, one)
        base.ggml_build_forward_expand(graph, base.ggml_mul_mat(ctx, w, x))
    cpu.ggml_graph_compute_with_ctx(ctx, graph, threads)  # warm-up
    times, cpu_times = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        status = cpu.ggml_graph_compute_with_ctx(ctx, graph, threads)
        times.append((time.perf_counter() - t0) / copies)
        cpu_times.append((time.process_time() - c0) / copies)
        if status != 0:
            sys.exit(f"ggml_graph_compute failed: {status}")
    base.ggml_free(ctx)
    t, c = statistics.median(times), statistics.median(cpu_times)
    shape = "decode" if m == 1 else "prefill"
    print(f"peer {name} {shape} threads={threads} ms={t * 1e3:.3f} GB/s={one / t / 1e9:.2f} "
          f"GFLOP/s={2.0 * m * N * K / t / 1e9:.1f} cpu_ms={c * 1e3:.3f} cpuGB/s={one / c / 1e9:.2f} "
          f"cpuGFLOP/s={2.0 * m * N * K / c / 1e9:.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--types", default="Q4_0,Q8_0,Q4_K", help="comma-separated: " + ",".join(TYPES))
    ap.add_argument("--shapes", default="decode,prefill")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    base, cpu = load_libs()
    setup(base, cpu)
    for name in args.types.split(","):
        for shape in args.shapes.split(","):
            run(base, cpu, name, 1 if shape == "decode" else 512, args.threads, args.reps if shape == "prefill" else 4 * args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
