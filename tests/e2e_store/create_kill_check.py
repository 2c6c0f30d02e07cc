#!/usr/bin/env python3
"""Crash safety of `corral create`: a create that quantizes a synthetic model (about a second) is
killed with SIGKILL at 20 random moments. After each kill, checked independently of corral:
every manifest's config and layers exist as blobs whose content hashes (hashlib) to their names,
no file that looks like a blob has the wrong content (partial files keep temporary names), every
model blob reads as a GGUF (gguf package), and `corral list` / `corral show NAME` work for every
model. Then the same create, rerun to completion, succeeds.
"""
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import gguf

BIN = os.environ["CORRAL_BIN"]
REPO = Path(os.environ.get("CORRAL_REPO_DIR", Path(__file__).resolve().parents[2]))
FIXTURE = REPO / "tests/golden/convert/llama_bpe"
KILLS = 20
HIDDEN, FFN, LAYERS = 256, 768, 2
BLOB = re.compile(r"^sha256-[0-9a-f]{64}$")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
import corral_testlib as tl  # noqa: E402

check = tl.Checks()
failures = check.failures


def write_source(tok_gguf, out):
    r = gguf.GGUFReader(str(tok_gguf))
    w = gguf.GGUFWriter(str(out), "llama")
    for f in r.fields.values():
        if not f.name.startswith("tokenizer."):
            continue
        t = f.types[0]
        v = f.contents()
        if t == gguf.GGUFValueType.ARRAY:
            w.add_array(f.name, v)
        elif t == gguf.GGUFValueType.STRING:
            w.add_string(f.name, v)
        elif t == gguf.GGUFValueType.BOOL:
            w.add_bool(f.name, v)
        else:
            w.add_uint32(f.name, int(v))
    vocab = len(r.fields["tokenizer.ggml.tokens"].contents())
    w.add_context_length(128); w.add_embedding_length(HIDDEN); w.add_block_count(LAYERS)
    w.add_feed_forward_length(FFN); w.add_head_count(8); w.add_head_count_kv(2)
    w.add_rope_freq_base(10000.0); w.add_layer_norm_rms_eps(1e-5); w.add_rope_dimension_count(HIDDEN // 8)
    w.add_vocab_size(vocab); w.add_file_type(0)
    rng = np.random.default_rng(3)
    mat = lambda r_, c: (rng.standard_normal((r_, c)) * 0.02).astype(np.float32)
    w.add_tensor("token_embd.weight", mat(vocab, HIDDEN))
    for i in range(LAYERS):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(HIDDEN, dtype=np.float32))
        for n, rows, cols in (("attn_q", HIDDEN, HIDDEN), ("attn_k", HIDDEN // 4, HIDDEN),
                              ("attn_v", HIDDEN // 4, HIDDEN), ("attn_output", HIDDEN, HIDDEN),
                              ("ffn_gate", FFN, HIDDEN), ("ffn_up", FFN, HIDDEN), ("ffn_down", HIDDEN, FFN)):
            w.add_tensor(p + n + ".weight", mat(rows, cols))
        w.add_tensor(p + "ffn_norm.weight", np.ones(HIDDEN, dtype=np.float32))
    w.add_tensor("output_norm.weight", np.ones(HIDDEN, dtype=np.float32))
    w.add_tensor("output.weight", mat(vocab, HIDDEN))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()


def sha256_file(path):
    return tl.sha256_file(path).split(":", 1)[1]


def check_store(models, env, when, hashes):
    blobs = models / "blobs"
    for p in blobs.iterdir():
        if BLOB.match(p.name):
            st = p.stat()
            key = (p.name, st.st_size, st.st_mtime_ns)
            if key not in hashes:
                hashes[key] = sha256_file(p)
            check(hashes[key] == p.name[7:], f"{when}: blob {p.name} has other content (a partial file?)")
    names = []
    for mf in (models / "manifests").rglob("*"):
        if not mf.is_file():
            continue
        rel = mf.relative_to(models / "manifests").parts
        names.append(f"{rel[2]}:{rel[3]}")
        try:
            m = json.loads(mf.read_text())
        except ValueError as e:
            check(False, f"{when}: manifest {mf} is not JSON: {e}")
            continue
        for layer in [m["config"]] + m["layers"]:
            path = blobs / layer["digest"].replace(":", "-")
            check(path.is_file(), f"{when}: {names[-1]}: blob {layer['digest']} missing")
            if path.is_file():
                check(path.stat().st_size == layer["size"], f"{when}: {names[-1]}: blob size differs")
            if layer["mediaType"] == "application/vnd.ollama.image.model" and path.is_file():
                try:
                    gguf.GGUFReader(str(path))
                except Exception as e:  # noqa: BLE001 - any failure to read is the finding
                    check(False, f"{when}: {names[-1]}: model blob does not read as GGUF: {e}")
    p = subprocess.run([BIN, "list"], env=env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"{when}: corral list failed: {p.stderr}")
    listed = [line.split()[0] for line in p.stdout.splitlines()[1:] if line.strip()]
    check(sorted(listed) == sorted(names), f"{when}: list {listed} vs manifests {names}")
    for name in listed:
        s = subprocess.run([BIN, "show", name], env=env, capture_output=True, text=True, timeout=60)
        check(s.returncode == 0, f"{when}: corral show {name} failed: {s.stderr}")


def main():
    rng = random.Random(int(os.environ.get("CORRAL_KILL_SEED", "20261122")))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        models = tmp / "models"
        env = tl.no_server_env(CORRAL_MODELS=str(models))
        tok = tmp / "tok.gguf"
        subprocess.run([BIN, "quantize", str(FIXTURE), str(tok), "f32"], check=True, capture_output=True)
        src = tmp / "src.gguf"
        write_source(tok, src)
        (tmp / "Base").write_text(f"FROM {src}\n")
        subprocess.run([BIN, "create", "base", "-f", str(tmp / "Base")], env=env, check=True, capture_output=True)
        mf = tmp / "Modelfile"
        mf.write_text('FROM base\nSYSTEM """You are a test."""\nPARAMETER temperature 0.5\n')
        cmd = [BIN, "create", "quant", "-f", str(mf), "--quantize", "q4_K_M", "--threads", "1"]
        t0 = time.monotonic()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        full = time.monotonic() - t0
        print(f"a full create takes {full:.2f} s")
        subprocess.run([BIN, "rm", "quant"], env=env, check=True, capture_output=True)
        hashes = {}
        killed_early = 0
        for i in range(KILLS):
            delay = rng.uniform(0.0, full * 1.1)
            name = f"quant{i % 4}"  # overwrite earlier results too
            proc = subprocess.Popen([BIN, "create", name] + cmd[3:], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            rc = proc.wait()
            killed_early += rc == -signal.SIGKILL
            check_store(models, env, f"kill {i} at {delay:.3f}s (rc {rc})", hashes)
            r = subprocess.run([BIN, "create", name] + cmd[3:], env=env, capture_output=True, text=True)
            check(r.returncode == 0, f"kill {i}: rerun of create failed: {r.stderr}")
            check_store(models, env, f"after rerun {i}", hashes)
        print(f"{KILLS} SIGKILLs, {killed_early} of them before the create finished")
        check(killed_early >= KILLS // 2, "most kills should land while create runs")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("create kill: all checks passed")


if __name__ == "__main__":
    main()
