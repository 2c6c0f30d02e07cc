"""Helpers of the registry tests: free ports, a Debian `docker-registry` on loopback with a
temporary storage folder and a JSON request log, the corral binary, and store snapshots."""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
from corral_testlib import BIN, Checks, corral, free_port, sha256_file, snapshot  # noqa: E402,F401

SKIP = 77  # ctest SKIP_RETURN_CODE


def require_docker_registry():
    """The path of docker-registry; under CI=true a missing binary fails the test."""
    path = shutil.which("docker-registry") or ("/usr/bin/docker-registry" if os.path.exists("/usr/bin/docker-registry") else None)
    if path:
        return path
    if os.environ.get("CI") == "true":
        print("FAIL: docker-registry is not installed (scripts/setup.sh installs it)")
        sys.exit(1)
    print("SKIP: docker-registry is not installed (apt-get install docker-registry)")
    sys.exit(SKIP)


class Registry:
    """`docker-registry serve` on 127.0.0.1:<free port>; its log lines are JSON objects."""

    def __init__(self, tmp: Path):
        self.binary = require_docker_registry()
        self.port = free_port()
        self.root = tmp / "registry-data"
        self.log_path = tmp / "registry.log"
        config = tmp / "registry.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: info\n  formatter: json\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary, "serve", str(config)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"docker-registry did not start: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.1)

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    def requests(self, since=0):
        """(log offset now, [request records]) of the requests logged after offset `since`."""
        data = self.log_path.read_bytes()
        out = []
        for line in data[since:].splitlines():
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if j.get("msg") == "response completed" and "http.request.method" in j:
                out.append(j)
        return len(data), out

    def quiet(self, settle=0.4, limit=10):
        """Waits until the log stops growing (late lines of a killed client's requests)."""
        end = time.time() + limit
        size = -1
        while time.time() < end:
            now = self.log_path.stat().st_size
            if now == size:
                return
            size = now
            time.sleep(settle)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
