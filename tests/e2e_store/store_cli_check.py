#!/usr/bin/env python3
"""End-to-end: corral create / list / show / cp / rm / quantize against a temporary CORRAL_MODELS.

The store is checked independently of corral: manifests parsed as JSON, blob names re-hashed with
hashlib, GGUF blobs read with the gguf package, list columns recomputed from the files.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import gguf

BIN = os.environ["CORRAL_BIN"]
REPO = Path(os.environ.get("CORRAL_REPO_DIR", Path(__file__).resolve().parents[2]))
GOLDEN = REPO / "tests/golden/convert"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
import corral_testlib as tl  # noqa: E402

check = tl.Checks()
failures = check.failures
corral, snapshot = tl.corral, tl.snapshot


def manifest(models, name):
    return json.loads((models / "manifests/registry.ollama.ai/library" / name / "latest").read_text())


def blob(models, digest):
    return models / "blobs" / digest.replace(":", "-")


def human_bytes(b):
    for scale, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")):
        if b >= scale:
            v = b / scale
            return f"{int(v)} {unit}" if v >= 10 or v == int(v) else f"{v:.1f} {unit}"
    return f"{b} B"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        models = tmp / "models"
        env = tl.no_server_env(CORRAL_MODELS=str(models))

        # 1. FROM an HF folder: converted, template detected, params with the template's stops.
        mf = tmp / "Modelfile"
        mf.write_text(f"FROM {GOLDEN / 'llama_bpe'}\nPARAMETER temperature 0.5\nSYSTEM \"\"\"Be brief.\"\"\"\n"
                      "LICENSE MIT\nMESSAGE user hi\nMESSAGE assistant hello\n")
        corral(env, "create", "tiny", "-f", str(mf))
        m = manifest(models, "tiny")
        types = [l["mediaType"].rsplit(".", 1)[-1] for l in m["layers"]]
        check(types == ["model", "template", "system", "params", "license", "messages"], f"layer types {types}")
        for l in m["layers"] + [m["config"]]:
            data = blob(models, l["digest"]).read_bytes()
            check("sha256:" + hashlib.sha256(data).hexdigest() == l["digest"], f"blob hash {l['digest']}")
            check(len(data) == l["size"], f"blob size {l['digest']}")
        by_type = {l["mediaType"].rsplit(".", 1)[-1]: l for l in m["layers"]}
        params = json.loads(blob(models, by_type["params"]["digest"]).read_text())
        check(params.get("temperature") == 0.5, f"params {params}")
        check("<|eot_id|>" in params.get("stop", []), f"detected llama3 stop strings in {params}")
        tmpl = blob(models, by_type["template"]["digest"]).read_text()
        check("<|start_header_id|>" in tmpl, "llama3 template detected")
        check(blob(models, by_type["system"]["digest"]).read_text() == "Be brief.", "system layer")
        msgs = json.loads(blob(models, by_type["messages"]["digest"]).read_text())
        check(msgs == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], f"messages {msgs}")
        cfg = json.loads(blob(models, m["config"]["digest"]).read_text())
        check(cfg["model_format"] == "gguf" and cfg["model_family"] == "llama", f"config {cfg}")
        check(cfg["rootfs"]["diff_ids"] == [l["digest"] for l in m["layers"]], "config diff_ids")
        model_path = blob(models, by_type["model"]["digest"])
        r = gguf.GGUFReader(str(model_path))
        check(r.fields["general.architecture"].contents() == "llama", "model blob is a llama GGUF")
        check(len(r.tensors) == 21, f"tensor count {len(r.tensors)}")

        # 2. list: NAME, ID (12 hex of the manifest digest), SIZE, MODIFIED.
        out = corral(env, "list").stdout.splitlines()
        check(out[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"], f"list header {out[0]!r}")
        man_bytes = (models / "manifests/registry.ollama.ai/library/tiny/latest").read_bytes()
        want_id = hashlib.sha256(man_bytes).hexdigest()[:12]
        size = m["config"]["size"] + sum(l["size"] for l in m["layers"])
        row = out[1]
        check(row.startswith("tiny:latest") and want_id in row and human_bytes(size) in row and row.endswith("ago"),
              f"list row {row!r} (id {want_id}, size {human_bytes(size)})")

        # 3. show NAME and show --tensors NAME resolve the store name.
        p = corral(env, "show", "tiny")
        check("llama" in p.stdout, "show tiny prints the architecture")
        t = json.loads(corral(env, "show", "--tensors", "--json", "tiny").stdout)
        names = sorted(x["name"] for x in t["tensors"])
        check(names == sorted(x.name for x in r.tensors), "show --tensors lists the GGUF tensors")
        p = corral(env, "show", "nosuchmodel", ok=False)
        check(p.returncode != 0 and "not found" in p.stderr, f"show unknown model: {p.stderr!r}")

        # 4. cp shares blobs; the copy lists with the same ID.
        corral(env, "cp", "tiny", "tiny2")
        check(manifest(models, "tiny2") == m, "cp copies the manifest")
        out = corral(env, "list").stdout
        check(out.count(want_id) == 2, "both names list the same ID")

        # 5. --quantize from the HF folder; FROM a store name inherits; FROM a GGUF file and a digest.
        mfq = tmp / "Modelfile.q"
        mfq.write_text(f"FROM {GOLDEN / 'llama_bpe'}\n")
        corral(env, "create", "tinyq", "-f", str(mfq), "--quantize", "q4_K_M")
        mq = manifest(models, "tinyq")
        rq = gguf.GGUFReader(str(blob(models, mq["layers"][0]["digest"])))
        check(int(rq.fields["general.file_type"].contents()) == 15, "Q4_K_M file type")
        qtypes = {x.name: x.tensor_type.name for x in rq.tensors}
        check(qtypes["blk.1.attn_v.weight"] == "Q8_0" and qtypes["blk.0.attn_q.weight"] == "Q5_0"
              and qtypes["output_norm.weight"] == "F32", f"quantized types {qtypes}")

        mfd = tmp / "Modelfile.derived"
        mfd.write_text("FROM tiny\nTEMPLATE \"{{ .Prompt }}\"\n")
        corral(env, "create", "derived", "-f", str(mfd))
        md = manifest(models, "derived")
        dt = {l["mediaType"].rsplit(".", 1)[-1]: l for l in md["layers"]}
        check(dt["model"]["digest"] == by_type["model"]["digest"], "derived model shares the model blob")
        check(blob(models, dt["template"]["digest"]).read_text() == "{{ .Prompt }}", "TEMPLATE overrides")
        check(dt["system"]["digest"] == by_type["system"]["digest"], "system inherited")

        gguf_copy = tmp / "copy.gguf"
        shutil.copy(model_path, gguf_copy)
        (tmp / "Modelfile.gguf").write_text("FROM ./copy.gguf\n")
        corral(env, "create", "fromfile", "-f", str(tmp / "Modelfile.gguf"))
        mg = manifest(models, "fromfile")
        check(mg["layers"][0]["digest"] == by_type["model"]["digest"], "FROM a GGUF file stores the same blob")
        check(any(l["mediaType"].endswith("template") for l in mg["layers"]), "template detected from GGUF chat_template")
        (tmp / "Modelfile.digest").write_text(f"FROM {by_type['model']['digest']}\n")
        corral(env, "create", "fromdigest", "-f", str(tmp / "Modelfile.digest"))
        check(manifest(models, "fromdigest")["layers"][0]["digest"] == by_type["model"]["digest"], "FROM digest")

        # 6. Failed creates leave the store unchanged.
        before = snapshot(models)
        bad = {
            "bad instruction": "FROM tiny\nFORM x\n",
            "missing FROM": "PARAMETER temperature 1\n",
            "missing path": f"FROM {tmp / 'nope'}/\n",
            "unknown model": "FROM nosuchmodel\n",
            "bad parameter": "FROM tiny\nPARAMETER temperature hot\n",
            "digest not in store": "FROM sha256:" + "0" * 64 + "\n",
            "HF folder without tokenizer": f"FROM {REPO / 'tests/golden/tiny_llama_hf/safetensors'}\n",
        }
        for what, text in bad.items():
            f = tmp / "Modelfile.bad"
            f.write_text(text)
            p = corral(env, "create", "broken", "-f", str(f), ok=False)
            check(p.returncode != 0 and p.stderr.startswith("Error:") or "Error:" in p.stderr, f"{what}: {p.stderr!r}")
            check(snapshot(models) == before, f"{what}: store changed")
        p = corral(env, "create", "broken", "-f", str(mfq), "--quantize", "q9_9", ok=False)
        check(p.returncode != 0 and "q9_9" in p.stderr, f"bad quant type: {p.stderr!r}")
        p = corral(env, "create", "tinyq2", "-f", str(tmp / "Modelfile.gguf"), "--quantize", "q4_0", ok=True)
        p = corral(env, "create", "broken", "-f", str(mfd), "--quantize", "q4_0", ok=True)
        before = snapshot(models)
        (tmp / "Modelfile.q2").write_text("FROM tinyq\n")
        p = corral(env, "create", "broken2", "-f", str(tmp / "Modelfile.q2"), "--quantize", "q8_0", ok=False)
        check(p.returncode != 0 and "quantized" in p.stderr, f"requantize refused: {p.stderr!r}")
        check(snapshot(models) == before, "requantize: store changed")

        # 6b. Names and digests that try to leave the store never touch the file system: every
        # command fails naming the problem and nothing anywhere under the temporary folder changes.
        tree = lambda: sorted(str(x.relative_to(tmp)) for x in tmp.rglob("*"))
        before_tree = tree()
        evil_names = ["../evil", "a/../../evil", "/abs/evil", str(tmp / "evil"), "ns\\..\\evil", "..",
                      "m:../../evil", "evil/../../../x:y", "%2e%2e/evil"]
        for name in evil_names:
            for args in (("create", name, "-f", str(tmp / "Modelfile.gguf")), ("cp", "tiny2", name),
                         ("rm", name), ("show", name), ("cp", name, "tiny3")):
                p = corral(env, *args, ok=False)
                check(p.returncode != 0 and "Error:" in p.stderr, f"{args}: refused: {p.stderr!r}")
        for text in ("FROM sha256:../../../etc/passwd\n", "FROM sha256:" + "0" * 63 + "/\n",
                     "FROM sha256:" + "a" * 64 + "/../x\n"):
            (tmp / "Modelfile.evil").write_text(text)
            p = corral(env, "create", "ok", "-f", str(tmp / "Modelfile.evil"), ok=False)
            check(p.returncode != 0 and "Error:" in p.stderr, f"evil digest {text!r}: {p.stderr!r}")
            (tmp / "Modelfile.evil").unlink()
        check(tree() == before_tree, "a traversal attempt changed files")

        # 7. quantize command on a GGUF.
        qout = tmp / "q8.gguf"
        corral(env, "quantize", str(gguf_copy), str(qout), "q8_0")
        rq8 = gguf.GGUFReader(str(qout))
        check({x.name: x.tensor_type.name for x in rq8.tensors}["blk.0.attn_q.weight"] == "Q8_0", "quantize q8_0")

        # 8. rm everything: no orphan blobs remain.
        p = corral(env, "rm", "nosuchmodel", ok=False)
        check(p.returncode != 0 and "not found" in p.stderr, "rm unknown model fails")
        corral(env, "rm", "tiny")
        check(blob(models, by_type["model"]["digest"]).exists(), "blobs still used by tiny2 are kept")
        names = [l.split()[0] for l in corral(env, "list").stdout.splitlines()[1:]]
        corral(env, "rm", *names)
        left = [p.name for p in (models / "blobs").iterdir()]
        check(left == [], f"orphan blobs after rm: {left}")
        check(corral(env, "list").stdout.splitlines()[1:] == [], "list is empty")

    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("store cli: all checks passed")


if __name__ == "__main__":
    main()
