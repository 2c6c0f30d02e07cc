#!/usr/bin/env python3
"""corral pull against a fake registry (a small Python http.server) that misbehaves.

The fake answers Docker's bearer-token challenge (WWW-Authenticate realm/service/scope; the token
endpoint wants Basic user:pass), so a good pull also checks the auth flow. Then it serves a
corrupted blob, a blob whose size differs from the manifest's, and manifests whose digests hold
`../`: each pull fails with a clear error and the store (every file, temporary ones included)
is byte-for-byte what it was, and nothing is written outside it. Last, /api/pull of a
`corral serve` is driven with the official `ollama` Python client: Ollama's progress stream.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from registry_util import BIN, Checks, corral, free_port, snapshot  # noqa: E402

check = Checks()
TOKEN = "tok-" + os.urandom(8).hex()
USER, PASSWORD = "alice", "s3cr:t"
MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Fake:
    def __init__(self):
        self.model = os.urandom(300_000)
        self.config = json.dumps({"model_format": "gguf"}).encode()
        self.corrupt = bytearray(self.model)
        self.corrupt[12345] ^= 0xFF
        self.corrupt = bytes(self.corrupt)
        self.longer = self.model + b"tail!!!"  # served for the wrong-size tag
        self.blobs = {digest(self.model): self.model, digest(self.config): self.config}
        self.token_queries = []
        self.manifests = {}

    def manifest(self, model_digest, model_size):
        return json.dumps({
            "schemaVersion": 2, "mediaType": MT_MANIFEST,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "digest": digest(self.config), "size": len(self.config)},
            "layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": model_digest,
                        "size": model_size}]}).encode()


def make_handler(fake, port_box):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, body=b"", headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def authorized(self):
            if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                return True
            realm = f"http://127.0.0.1:{port_box[0]}/token"
            repo = "/".join(self.path.split("/")[2:4])
            self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                      [("WWW-Authenticate", f'Bearer realm="{realm}",service="fake-registry",scope="repository:{repo}:pull"')])
            return False

        def do_GET(self):
            if self.path.startswith("/token"):
                want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.headers.get("Authorization") != want:
                    return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
                fake.token_queries.append(self.path)
                return self.send(200, json.dumps({"token": TOKEN}).encode())
            if not self.authorized():
                return
            parts = self.path.split("/")
            if len(parts) >= 6 and parts[4] == "manifests":
                body = fake.manifests.get(parts[5])
                if body is None:
                    return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
                return self.send(200, body, [("Content-Type", MT_MANIFEST)])
            if len(parts) >= 6 and parts[4] == "blobs":
                d = parts[5]
                data = fake.blobs.get(d)
                if data is None:
                    return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes="):
                    a, b = rng[6:].split("-")
                    a, b = int(a), min(int(b), len(data) - 1)
                    return self.send(206, data[a:b + 1], [("Content-Range", f"bytes {a}-{b}/{len(data)}")])
                return self.send(200, data, [("Content-Type", "application/octet-stream")])
            self.send(404)

    return H


def start_fake(fake):
    port_box = [0]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake, port_box))
    port_box[0] = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, port_box[0]


def main():
    fake = Fake()
    good = fake.manifest(digest(fake.model), len(fake.model))
    fake.manifests["good"] = good
    # corrupted content under the right digest
    corrupt_digest = digest(os.urandom(10) + fake.model)
    fake.blobs[corrupt_digest] = fake.corrupt
    fake.manifests["corrupt"] = fake.manifest(corrupt_digest, len(fake.corrupt))
    # a blob whose true size (and digest) differ from the manifest's size
    fake.blobs[digest(fake.longer)] = fake.longer
    fake.manifests["wrongsize"] = fake.manifest(digest(fake.longer), len(fake.model))
    short_blob = os.urandom(5000)
    fake.blobs[digest(short_blob)] = short_blob
    fake.manifests["shorter"] = fake.manifest(digest(short_blob), len(short_blob) + 1000)
    # digests that try to walk out of the blob folder
    fake.manifests["traversal"] = fake.manifest("sha256:../../../../../../tmp/corral-pwned", 10)
    fake.manifests["traversal2"] = fake.manifest("sha256:" + "a" * 60 + "/../", 10)
    fake.manifests["traversal3"] = fake.manifest("../sha256:" + "a" * 64, 10)
    srv, port = start_fake(fake)
    host = f"127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            models = tmp / "models"
            env = dict(os.environ, CORRAL_MODELS=str(models), CORRAL_REGISTRY_AUTH=f"{USER}:{PASSWORD}")
            env.pop("CORRAL_REGISTRY_AUTH_FILE", None)

            # anonymous: the token endpoint refuses, the pull fails clearly
            anon = dict(env)
            anon.pop("CORRAL_REGISTRY_AUTH")
            p = corral(anon, "pull", "--insecure", f"{host}/test/m:good", ok=False)
            check(p.returncode != 0 and "401" in p.stderr, f"anonymous pull refused: {p.stderr}")

            # credentials from a file instead of the variable
            auth_file = tmp / "auth"
            auth_file.write_text(f"# registry credentials\nother.host:1 x:y\n{host} {USER}:{PASSWORD}\n")
            via_file = dict(anon, CORRAL_REGISTRY_AUTH_FILE=str(auth_file))
            p = corral(via_file, "pull", "--insecure", f"{host}/test/m:good", ok=False)
            check(p.returncode == 0, f"pull with credentials from a file: {p.stderr}")
            corral(env, "rm", f"{host}/test/m:good")

            p = corral(env, "pull", "--insecure", f"{host}/test/m:good", ok=False)
            check(p.returncode == 0, f"good pull: {p.stdout} {p.stderr}")
            check(any("service=fake-registry" in q and "scope=repository%3Atest%2Fm%3Apull" in q
                      for q in fake.token_queries), f"token request carries service and scope: {fake.token_queries}")
            man = models / "manifests" / host / "test/m/good"
            check(man.exists() and man.read_bytes() == good, "manifest written as served")
            check((models / "blobs" / digest(fake.model).replace(":", "-")).read_bytes() == fake.model, "model blob")

            # without --insecure a plain-HTTP registry is not used
            p = corral(env, "pull", f"{host}/test/m:good", ok=False)
            check(p.returncode != 0, "https is required without --insecure")

            cases = [("corrupt", "hashes to"), ("wrongsize", "the manifest says"), ("shorter", "the manifest says"),
                     ("traversal", "digest"), ("traversal2", "digest"), ("traversal3", "digest"),
                     ("missing", "not found")]
            for tag, needle in cases:
                before = snapshot(models)
                p = corral(env, "pull", "--insecure", f"{host}/test/m:{tag}", ok=False)
                after = snapshot(models)
                check(p.returncode != 0, f"{tag}: the pull fails")
                check(needle in p.stderr and "Error:" in p.stderr, f"{tag}: clear error containing '{needle}': {p.stderr!r}")
                check(before == after, f"{tag}: store unchanged: {set(after.items()) ^ set(before.items())}")
                check("Traceback" not in p.stderr and p.returncode in (1,), f"{tag}: exit code {p.returncode}")
            check(not Path("/tmp/corral-pwned").exists(), "nothing written outside the store")

            api_pull(tmp, host, fake)
    finally:
        srv.shutdown()
    check.finish()


def api_pull(tmp, host, fake):
    """/api/pull with the official ollama client: Ollama's progress stream."""
    try:
        import ollama
    except ImportError:
        check(False, "the ollama Python package is missing from the venv (tools/requirements.txt)")
        return
    models = tmp / "models-api"
    port = free_port()
    env = dict(os.environ, CORRAL_MODELS=str(models), CORRAL_HOST=f"127.0.0.1:{port}",
               CORRAL_REGISTRY_AUTH=f"{USER}:{PASSWORD}")
    srv = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = ollama.Client(host=f"http://127.0.0.1:{port}")
        for _ in range(100):
            try:
                client.list()
                break
            except Exception:
                time.sleep(0.1)
        events = list(client.pull(f"{host}/test/m:good", insecure=True, stream=True))
        statuses = [e.status for e in events]
        check(statuses[0] == "pulling manifest", f"first event: {statuses[:3]}")
        check(statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"], f"last events: {statuses[-3:]}")
        layer = [e for e in events if e.digest == digest(fake.model)]
        check(bool(layer) and layer[-1].total == len(fake.model) and layer[-1].completed == len(fake.model),
              f"layer progress events with total/completed: {layer[-1:]}")
        check(all(e.status == "pulling " + e.digest[7:19] for e in layer), "'pulling <12 hex>' status per layer")
        done = client.pull(f"{host}/test/m:good", insecure=True, stream=False)
        check(done.status == "success", f"non-streamed pull: {done}")
        try:
            list(client.pull(f"{host}/test/m:corrupt", insecure=True, stream=True))
            check(False, "a corrupt blob over /api/pull raises")
        except ollama.ResponseError as e:
            check("hashes to" in str(e), f"/api/pull error names the problem: {e}")
        names = [m.model for m in client.list().models]
        check(any("test/m:good" in n for n in names), f"pulled model listed: {names}")
    finally:
        srv.terminate()
        srv.wait(10)


if __name__ == "__main__":
    main()
