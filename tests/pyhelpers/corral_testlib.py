"""Shared helpers of the Python tests (tests/api, tests/e2e_client, tests/e2e_store,
tests/registry): a `corral serve` on a free loopback port, running the corral CLI, check()
collection, store snapshots and file hashes. No torch; only the standard library.

Import with:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
    import corral_testlib as tl
"""
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = os.environ.get("CORRAL_BIN", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def no_server_env(**extra):
    """os.environ with CORRAL_HOST on a port nothing listens on, so that CLI commands run
    in-process even when someone runs `corral serve` on the default port."""
    env = dict(os.environ, CORRAL_HOST=f"127.0.0.1:{free_port()}")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def sha256_file(path):
    """'sha256:<hex>' of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def snapshot(models):
    """Every file of a store (temporary files included) with its size and content hash."""
    models = Path(models)
    out = {}
    if models.exists():
        for p in sorted(models.rglob("*")):
            if p.is_file():
                out[str(p.relative_to(models))] = (p.stat().st_size, sha256_file(p))
    return out


class Checks:
    """check(cond, what) records a failure and goes on; finish() exits 1 if any failed."""

    def __init__(self):
        self.failures = []

    def __call__(self, cond, what):
        if not cond:
            self.failures.append(what)
            print("FAIL:", what, flush=True)
        return cond

    def finish(self):
        if self.failures:
            print(f"{len(self.failures)} check(s) failed")
            sys.exit(1)
        print("all checks passed")


def corral(env, *args, ok=True, timeout=300, bin_path=None):
    """Runs the corral CLI; with ok=True a non-zero exit ends the test with its output."""
    p = subprocess.run([bin_path or BIN, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if ok and p.returncode != 0:
        raise SystemExit(f"corral {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


class Server:
    """`corral serve` on a free loopback port with its own CORRAL_MODELS (store)."""

    def __init__(self, store, port=None, extra_env=None, bin_path=None, start_timeout=30):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bin = bin_path or BIN
        self.env = dict(os.environ, CORRAL_HOST=f"127.0.0.1:{self.port}", CORRAL_MODELS=str(store),
                        CORRAL_NUM_THREADS="2")
        self.env.update(extra_env or {})
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([self.bin, "serve"], env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.time() + start_timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as r:
                    if r.read() == b"corral is running":
                        return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError("server did not start: " + self.output())

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def cli(self, *args, env=None, timeout=120):
        """Runs the CLI against this server (its CORRAL_HOST), with this server's env unless given."""
        return subprocess.run([self.bin, *args], env=env or self.env, capture_output=True, text=True, timeout=timeout)

    def http(self, method, path, body=None, raw=None, timeout=300):
        """(status, headers, body bytes) of one request; HTTP errors are returned, not raised."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, body=None):
        status, _, data = self.http(method, path, body)
        return status, (json.loads(data) if data else None)

    def stop(self, expect_clean=True):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("server did not exit on SIGTERM")
        if expect_clean:
            assert rc == 0, f"server exit code {rc}: {self.output()}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop(expect_clean=exc[0] is None)


def shutil_which(name):
    """The path of an installed program (also /usr/bin when PATH is minimal), else None."""
    import shutil
    return shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
