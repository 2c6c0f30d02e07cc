#!/usr/bin/env python3
"""Writes small GGUF files with the reference `gguf` Python package (gguf-py, as used by
llama.cpp), for corral's GGUF tests and fuzz seeds:

  tests/unit/gguf/data/gguf_py_types.gguf   every metadata value type, nested arrays, tensors of
                                            several dtypes, alignment 64 (read by gguf_golden_test.cpp,
                                            which restates the values written here)
  fuzz/corpus/gguf/*.gguf                   tiny valid files as fuzzing seeds

Run from the repository root with the repo venv:  .venv/bin/python tools/gguf_make_testfiles.py
"""
import os
import sys

import numpy as np
import gguf
from gguf import GGUFValueType as T

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tensor_bytes(n, seed):
    return np.array([(seed + 7 * i) & 0xFF for i in range(n)], dtype=np.uint8)


def write_types_file(path):
    w = gguf.GGUFWriter(path, "testarch")  # adds general.architecture first
    w.add_custom_alignment(64)
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_float32("t.f32", 0.1)
    w.add_bool("t.bool", True)
    w.add_string("t.string", "héllo wörld")
    w.add_uint64("t.u64", 2**64 - 2)
    w.add_int64("t.i64", -(2**62))
    w.add_float64("t.f64", 3.141592653589793)
    w.add_key_value("t.arr_u8", [1, 2, 255], T.ARRAY, sub_type=T.UINT8)
    w.add_key_value("t.arr_i16", [-1, 300], T.ARRAY, sub_type=T.INT16)
    w.add_key_value("t.arr_u64", [0, 2**63 + 1], T.ARRAY, sub_type=T.UINT64)
    w.add_array("t.arr_i32", [7, -8, 9])
    w.add_array("t.arr_f32", [0.5, -1.25])
    w.add_key_value("t.arr_f64", [1e-300, 2.0], T.ARRAY, sub_type=T.FLOAT64)
    w.add_array("t.arr_bool", [True, False])
    w.add_array("t.arr_str", ["a", "", "ccc"])
    w.add_array("t.nested", [[1, 2], [3]])            # arrays of i32 arrays
    w.add_array("t.nested3", [[["x"]], [["y", "z"]]])  # three levels of strings
    w.add_tensor("f32", np.arange(6, dtype=np.float32).reshape(2, 3))
    w.add_tensor("f16", np.array([1.0, -2.0, 0.5, 65504.0], dtype=np.float16))
    w.add_tensor("i8", np.array([[-1, 2], [3, -4], [5, 6]], dtype=np.int8))
    # Quantized tensors are given as raw bytes: 2 rows of 64 Q8_0 elements (2 blocks of 34 bytes each).
    w.add_tensor("q8", tensor_bytes(2 * 2 * 34, 3).reshape(2, 68), raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_seed(path, arch, n_tensors, alignment=None, tokens=0):
    w = gguf.GGUFWriter(path, arch)
    if alignment:
        w.add_custom_alignment(alignment)
    w.add_uint32(f"{arch}.context_length", 128)
    w.add_array("t.nested", [[1, 2], [3]])
    if tokens:
        w.add_array("tokenizer.ggml.tokens", [f"t{i}" for i in range(tokens)])
        w.add_key_value("tokenizer.ggml.token_type", [1] * tokens, T.ARRAY, sub_type=T.INT32)
    for i in range(n_tensors):
        w.add_tensor(f"blk.{i}.w", np.full((2, 4), i, dtype=np.float32))
    if n_tensors:
        w.add_tensor("q", tensor_bytes(34, 1).reshape(1, 34), raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    data_dir = os.path.join(REPO, "tests", "unit", "gguf", "data")
    corpus = os.path.join(REPO, "fuzz", "corpus", "gguf")
    os.makedirs(data_dir, exist_ok=True)
    os.makedirs(corpus, exist_ok=True)
    write_types_file(os.path.join(data_dir, "gguf_py_types.gguf"))
    write_types_file(os.path.join(corpus, "types.gguf"))
    write_seed(os.path.join(corpus, "tiny.gguf"), "llama", 2)
    write_seed(os.path.join(corpus, "vocab_only.gguf"), "gpt2", 0, tokens=5)
    write_seed(os.path.join(corpus, "align16.gguf"), "qwen2", 3, alignment=16)
    print("wrote", data_dir, "and", corpus, file=sys.stderr)


if __name__ == "__main__":
    main()
