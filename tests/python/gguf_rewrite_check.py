#!/usr/bin/env python3
"""Files rewritten by corral's GGUF reader + writer (the gguf_rewrite test tool) load in the
reference reader (gguf.GGUFReader) with identical metadata (keys, order, types, encoded values)
and identical tensors (names, types, shapes, bytes).

Sources: SmolLM2's GGUF (CORRAL_SMOLLM2_GGUF), which must also come back byte for byte, and a
file the gguf package writes here with every value type, nested arrays and alignment 64.

Usage: gguf_rewrite_check.py PATH/TO/gguf_rewrite"""
import filecmp
import os
import subprocess
import sys
import tempfile

import numpy as np
import gguf
from gguf import GGUFValueType as T


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def compare(src, dst):
    a, b = gguf.GGUFReader(src), gguf.GGUFReader(dst)
    a_keys = [k for k in a.fields if k != "GGUF.version"]
    b_keys = [k for k in b.fields if k != "GGUF.version"]
    if a_keys != b_keys:
        fail(f"{dst}: keys differ:\n {a_keys}\n {b_keys}")
    if int(b.fields["GGUF.version"].parts[0][0]) != 3:
        fail(f"{dst}: version is not 3")
    for k in a_keys:
        fa, fb = a.fields[k], b.fields[k]
        if fa.types != fb.types:
            fail(f"{dst}: {k}: types {fa.types} vs {fb.types}")
        # Every encoded part (type ids, lengths, counts, values) must match.
        if [p.tobytes() for p in fa.parts] != [p.tobytes() for p in fb.parts]:
            fail(f"{dst}: {k}: encoded value differs")
        if k.startswith("GGUF."):
            continue
        if repr(fa.contents()) != repr(fb.contents()):  # repr: NaN equals NaN
            fail(f"{dst}: {k}: {fa.contents()!r} vs {fb.contents()!r}")
    if len(a.tensors) != len(b.tensors):
        fail(f"{dst}: {len(b.tensors)} tensors, source has {len(a.tensors)}")
    for ta, tb in zip(a.tensors, b.tensors):
        if (ta.name, ta.tensor_type, ta.shape.tolist()) != (tb.name, tb.tensor_type, tb.shape.tolist()):
            fail(f"{dst}: tensor {ta.name}: {tb.name} {tb.tensor_type} {tb.shape}")
        if ta.data.tobytes() != tb.data.tobytes():
            fail(f"{dst}: tensor {ta.name}: data differs")
        if tb.data_offset % b.alignment != 0:
            fail(f"{dst}: tensor {tb.name} at {tb.data_offset} is not {b.alignment}-aligned")
    if a.alignment != b.alignment:
        fail(f"{dst}: alignment {b.alignment} vs {a.alignment}")
    return len(a_keys), len(a.tensors)


def write_reference_file(path):
    w = gguf.GGUFWriter(path, "testarch")
    w.add_custom_alignment(64)
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_float32("t.f32", float("nan"))
    w.add_bool("t.bool", False)
    w.add_string("t.string", "multi\nline \u00e9\u4e2d")
    w.add_uint64("t.u64", 2**64 - 1)
    w.add_int64("t.i64", -(2**63))
    w.add_float64("t.f64", -0.0)
    w.add_key_value("t.arr_u64", [0, 2**63 + 1], T.ARRAY, sub_type=T.UINT64)
    w.add_key_value("t.arr_f64", [1e-300, 2.0], T.ARRAY, sub_type=T.FLOAT64)
    w.add_array("t.arr_bool", [True, False, True])
    w.add_array("t.arr_str", ["a", "", "ccc"])
    w.add_array("t.nested", [[1, 2], [3]])
    w.add_array("t.nested3", [[["x"]], [["y", "z"], ["w"]]])
    rng = np.random.default_rng(0)
    w.add_tensor("f32", rng.standard_normal((3, 5)).astype(np.float32))
    w.add_tensor("f16", rng.standard_normal((7,)).astype(np.float16))
    w.add_tensor("i32", np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    w.add_tensor("q4k", rng.integers(0, 256, (2, 144), dtype=np.uint8), raw_dtype=gguf.GGMLQuantizationType.Q4_K)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def rewrite(tool, src, dst):
    r = subprocess.run([tool, src, dst], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"gguf_rewrite {src} failed: {r.stderr}")


def main():
    tool = sys.argv[1]
    smol = os.environ.get("CORRAL_SMOLLM2_GGUF", "")
    if not smol or not os.path.exists(smol):
        fail(f"CORRAL_SMOLLM2_GGUF does not name a file: {smol!r}")
    with tempfile.TemporaryDirectory() as tmp:
        ref = os.path.join(tmp, "ref.gguf")
        write_reference_file(ref)
        out = os.path.join(tmp, "ref_copy.gguf")
        rewrite(tool, ref, out)
        n_keys, n_tensors = compare(ref, out)
        if not filecmp.cmp(ref, out, shallow=False):
            fail("the rewritten gguf-py reference file is not byte-identical")
        print(f"ok: gguf-py file ({n_keys} keys, {n_tensors} tensors) rewritten identically")

        out = os.path.join(tmp, "smollm2_copy.gguf")
        rewrite(tool, smol, out)
        n_keys, n_tensors = compare(smol, out)
        if not filecmp.cmp(smol, out, shallow=False):
            fail("the rewritten SmolLM2 GGUF is not byte-identical to the original")
        print(f"ok: SmolLM2 ({n_keys} keys, {n_tensors} tensors) rewritten byte for byte")


if __name__ == "__main__":
    main()
