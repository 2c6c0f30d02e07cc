#!/usr/bin/env python3
"""Live test of POST /api/create with the official `ollama` client against `corral serve` on a
free loopback port and a temporary CORRAL_MODELS: create from uploaded blobs (a GGUF, and an HF
checkpoint's files, converted), from a stored model with system/template/parameters/license/
messages, with quantize, streamed and not, and the errors (400/404) Ollama gives. The store is
checked independently: manifests parsed as JSON, blobs re-hashed with hashlib, GGUF read with gguf.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_clients_test import Server, free_port  # noqa: E402

import gguf  # noqa: E402
import ollama  # noqa: E402

BIN = os.environ["CORRAL_BIN"]
REPO = Path(os.environ.get("CORRAL_REPO_DIR", Path(__file__).resolve().parents[2]))
FIXTURE = REPO / "tests/golden/convert/llama_bpe"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
import corral_testlib as tl  # noqa: E402

check = tl.Checks()
failures = check.failures


def manifest(store, name):
    return json.loads((store / "manifests/registry.ollama.ai/library" / name / "latest").read_text())


def layer(store, name, media):
    for l in manifest(store, name)["layers"]:
        if l["mediaType"] == "application/vnd.ollama.image." + media:
            return l
    return None


def blob_bytes(store, digest):
    data = (store / "blobs" / digest.replace(":", "-")).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest[7:], digest
    return data


def expect_error(what, status, fn):
    try:
        fn()
    except ollama.ResponseError as e:
        check(e.status_code == status, f"{what}: HTTP {e.status_code}, wanted {status} ({e.error})")
        check(bool(e.error), f"{what}: an error message")
        return
    check(False, f"{what}: no error")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = tmp / "models"
        store.mkdir()
        gguf_path = tmp / "tiny.gguf"
        subprocess.run([BIN, "quantize", str(FIXTURE), str(gguf_path), "f32"], check=True, capture_output=True)
        server = Server(str(store), free_port())
        try:
            client = ollama.Client(host=server.url)
            # From an uploaded GGUF blob.
            digest = client.create_blob(gguf_path)
            r = client.create(model="tiny", files={"tiny.gguf": digest})
            check(r.status == "success", f"create from files: {r}")
            model = layer(store, "tiny", "model")
            check(model is not None and model["digest"] == digest, "tiny: model layer is the uploaded blob")

            # From a stored model, with the other fields.
            r = client.create(model="derived", from_="tiny", system="You are a test.", template="{{ .Prompt }}",
                              parameters={"temperature": 0.5, "stop": ["x", "y"], "num_ctx": 256},
                              license="MIT", messages=[{"role": "user", "content": "hi"},
                                                       {"role": "assistant", "content": "hello"}])
            check(r.status == "success", f"create derived: {r}")
            check(layer(store, "derived", "model")["digest"] == digest, "derived shares the model blob")
            check(blob_bytes(store, layer(store, "derived", "system")["digest"]) == b"You are a test.", "system layer")
            check(blob_bytes(store, layer(store, "derived", "template")["digest"]) == b"{{ .Prompt }}", "template layer")
            params = json.loads(blob_bytes(store, layer(store, "derived", "params")["digest"]))
            check(params == {"temperature": 0.5, "stop": ["x", "y"], "num_ctx": 256}, f"params layer {params}")
            check(blob_bytes(store, layer(store, "derived", "license")["digest"]) == b"MIT", "license layer")
            msgs = json.loads(blob_bytes(store, layer(store, "derived", "messages")["digest"]))
            check(msgs == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
                  f"messages layer {msgs}")
            shown = client.show("derived")
            check(shown.system == "You are a test." if hasattr(shown, "system") else True, "show: system")

            # Streamed, with quantize.
            statuses = [p.status for p in client.create(model="q8", from_="tiny", quantize="q8_0", stream=True)]
            check(statuses and statuses[-1] == "success", f"streamed statuses end with success: {statuses}")
            check(any("quantiz" in s for s in statuses), f"a quantizing status: {statuses}")
            r = gguf.GGUFReader(str(store / "blobs" / layer(store, "q8", "model")["digest"].replace(":", "-")))
            check(any(t.tensor_type == gguf.GGMLQuantizationType.Q8_0 for t in r.tensors), "q8: Q8_0 tensors")

            # An HF checkpoint uploaded file by file, converted by the server.
            files = {f.name: client.create_blob(f) for f in FIXTURE.iterdir() if f.is_file()}
            r = client.create(model="fromhf", files=files)
            check(r.status == "success", f"create from HF files: {r}")
            hf = gguf.GGUFReader(str(store / "blobs" / layer(store, "fromhf", "model")["digest"].replace(":", "-")))
            ref = gguf.GGUFReader(str(gguf_path))
            check(sorted(t.name for t in hf.tensors) == sorted(t.name for t in ref.tensors), "fromhf: tensors")

            listed = server.cli("list").stdout
            for name in ("tiny", "derived", "q8", "fromhf"):
                check(f"{name}:latest" in listed, f"corral list shows {name}")

            # Errors.
            expect_error("unknown base model", 404, lambda: client.create(model="x", from_="missing"))
            expect_error("invalid name", 400, lambda: client.create(model="bad..name", from_="tiny"))
            expect_error("no from", 400, lambda: client.create(model="x"))
            expect_error("bad quantize", 400, lambda: client.create(model="x", from_="tiny", quantize="q9_9"))
            expect_error("bad parameter", 400,
                         lambda: client.create(model="x", from_="tiny", parameters={"temperature": "warm"}))
            expect_error("unknown parameter", 400,
                         lambda: client.create(model="x", from_="tiny", parameters={"temprature": 1}))
            for bad in ("../x.gguf", "a/b.gguf", "..", "a\\b.gguf"):
                expect_error(f"file name {bad!r}", 400, lambda: client.create(model="x", files={bad: digest}))
            expect_error("unknown blob", 400,
                         lambda: client.create(model="x", files={"m.gguf": "sha256:" + "0" * 64}))
            expect_error("bad digest", 400, lambda: client.create(model="x", files={"m.gguf": "sha256:../../x"}))
            expect_error("from a path", 400, lambda: client.create(model="x", from_="/etc/passwd"))
            check(not (store / "manifests/registry.ollama.ai/library/x").exists(), "failed creates left no model")
            check(not (tmp / "x.gguf").exists(), "no file outside the store")
        except Exception:  # noqa: BLE001 - reported as a failure with the server log
            traceback.print_exc()
            failures.append("exception")
            print(server.output()[-3000:])
        finally:
            server.stop()
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("api create: all checks passed")


if __name__ == "__main__":
    main()
