#!/usr/bin/env python3
"""End-to-end checks of `corral run` / `corral bench` (env: CORRAL_BIN, CORRAL_SMOLLM2_GGUF).

Runs the binary as a user would: one-shot chat answers, piped stdin, --verbose statistics in
Ollama's format, the REPL in a pseudo-terminal, and errors (missing file, garbage file) that must
print `Error: ...` and exit 1 without crashing; `corral run NAME` as a client of a running
`corral serve` (ps, stop) and in-process when none answers. Exits non-zero if a check failed.
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("CORRAL_BIN", "")
MODEL = os.environ.get("CORRAL_SMOLLM2_GGUF", "")
FAILED = []


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        if detail:
            print("     " + str(detail)[:2000].replace("\n", "\n     "))
        FAILED.append(what)


def run(args, stdin=None, timeout=600):
    return subprocess.run([BIN] + args, input=stdin, capture_output=True, timeout=timeout,
                          env=dict(os.environ, CORRAL_NUM_THREADS="2"))


STAT_LINES = [
    r"total duration:\s+\S+",
    r"load duration:\s+\S+",
    r"prompt eval count:\s+\d+ token\(s\)",
    r"prompt eval duration:\s+\S+",
    r"prompt eval rate:\s+[\d.]+ tokens/s",
    r"eval count:\s+\d+ token\(s\)",
    r"eval duration:\s+\S+",
    r"eval rate:\s+[\d.]+ tokens/s",
]


def one_shot():
    p = run(["run", MODEL, "Why is the sky blue? Answer in one sentence.", "--temperature", "0",
             "--num-predict", "80", "--verbose"])
    out = p.stdout.decode("utf-8", errors="replace")
    err = p.stderr.decode("utf-8", errors="replace")
    check(p.returncode == 0, "one-shot chat exits 0", err)
    check(len(out.strip()) > 10, "one-shot chat answers", out)
    check(out.endswith("\n") and "\ufffd" not in out, "answer ends cleanly with a newline, valid UTF-8", repr(out[-80:]))
    check("<|im_end|>" not in out and "<|im_start|>" not in out, "no template tokens in the answer", out)
    print("     answer: " + out.strip().replace("\n", " ")[:300])
    for pat in STAT_LINES:
        check(re.search("^" + pat + "$", err, re.M) is not None, "--verbose prints " + pat.split(":")[0], err)
    m = re.search(r"^eval count:\s+(\d+)", err, re.M)
    check(m is not None and 1 <= int(m.group(1)) <= 80, "eval count within --num-predict", err)


def piped_and_raw():
    p = run(["run", MODEL, "--temperature", "0", "--num-predict", "24"], stdin=b"What is the capital of France?\n")
    out = p.stdout.decode("utf-8", errors="replace")
    check(p.returncode == 0 and len(out.strip()) > 0, "prompt from piped stdin", p.stderr)
    check("Paris" in out, "the answer names Paris", out)
    p = run(["run", MODEL, "--raw", "--temperature", "0", "--num-predict", "12", "The capital of France is"])
    out = p.stdout.decode("utf-8", errors="replace")
    check(p.returncode == 0 and len(out.strip()) > 0, "--raw prompt", p.stderr)
    p = run(["run", MODEL, "--raw", "--temperature", "0", "--num-predict", "40", "--stop", ",", "--stop", ".",
             "Once upon a time"])
    out = p.stdout.decode("utf-8", errors="replace")
    check(p.returncode == 0 and "," not in out and "." not in out, "--stop strings end the answer unprinted", out)


def errors():
    p = run(["run", "/nonexistent/dir/model.gguf", "hi"])
    err = p.stderr.decode()
    check(p.returncode == 1 and err.startswith("Error: ") and "/nonexistent/dir/model.gguf" in err,
          "missing file: Error: naming it, exit 1", (p.returncode, err))
    with tempfile.NamedTemporaryFile(suffix=".gguf", delete=False) as f:
        f.write(b"GGUF" + os.urandom(300))
        garbage = f.name
    try:
        p = run(["run", garbage, "hi"])
        err = p.stderr.decode()
        check(p.returncode == 1 and err.startswith("Error: "), "garbage file: Error:, exit 1", (p.returncode, err))
    finally:
        os.unlink(garbage)
    p = run(["run", MODEL, "hi", "--top-p", "2"])
    check(p.returncode == 1 and "top_p" in p.stderr.decode(), "an out-of-range option is an error naming it",
          p.stderr)
    p = run(["run", MODEL, "hi", "--num-ctx", "8"])
    check(p.returncode == 1 and p.stderr.decode().startswith("Error: "), "prompt beyond --num-ctx is an error",
          p.stderr)


class Pty:
    def __init__(self, args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["CORRAL_NUM_THREADS"] = "2"
            os.execv(BIN, [BIN] + args)
        self.buf = b""

    def read_until(self, pattern, timeout=300):
        end = time.time() + timeout
        while time.time() < end:
            m = re.search(pattern, self.buf)
            if m:
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out.decode("utf-8", errors="replace")
            r, _, _ = select.select([self.fd], [], [], 0.5)
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                self.buf += data
        return None

    def send(self, text):
        os.write(self.fd, text.encode())

    def wait(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                r, _, _ = select.select([self.fd], [], [], 0.2)
                if r:
                    os.read(self.fd, 4096)
            except OSError:
                pass
        os.kill(self.pid, signal.SIGKILL)
        return None


def repl():
    t = Pty(["run", MODEL, "--temperature", "0", "--num-predict", "48"])
    check(t.read_until(rb">>> ") is not None, "REPL shows its prompt")
    t.send("/show info\n")
    info = t.read_until(rb">>> ")
    check(info is not None and "llama" in info and "smollm2" in info, "/show info names the architecture and template",
          info)
    t.send("/set parameter num_predict 24\n")
    check((t.read_until(rb">>> ") or "").find("Set parameter") >= 0, "/set parameter")
    t.send('"""\nWhat is the capital\nof France?\n"""\n')
    ans = t.read_until(rb">>> ")
    check(ans is not None and "Paris" in ans, "multi-line question answered", ans)
    t.send("/set parameter num_predict -1\n")
    t.read_until(rb">>> ")
    t.send("Write a very long story about a dragon who learns to cook.\n")
    t.read_until(rb"cook\.\r?\n")  # the terminal's echo of the line
    started = t.read_until(rb"\w+ \w+ \w+", timeout=120)
    time.sleep(0.5)
    os.kill(t.pid, signal.SIGINT)  # what Ctrl+C sends
    check(started is not None and t.read_until(rb">>> ", timeout=60) is not None, "Ctrl+C stops the answer")
    t.send("/clear\n")
    check((t.read_until(rb">>> ") or "").find("Cleared") >= 0, "/clear")
    os.kill(t.pid, signal.SIGINT)
    check(t.read_until(rb"Ctrl \+ d", timeout=30) is not None, "Ctrl+C at the prompt explains how to exit")
    t.read_until(rb">>> ", timeout=10)
    os.kill(t.pid, signal.SIGINT)
    check(t.wait() == 0, "a second Ctrl+C at the prompt exits 0")

    t = Pty(["run", MODEL])
    t.read_until(rb">>> ")
    t.send("\x04")  # Ctrl+D
    check(t.wait() == 0, "Ctrl+D exits 0")
    t = Pty(["run", MODEL])
    t.read_until(rb">>> ")
    t.send("/bye\n")
    check(t.wait() == 0, "/bye exits 0")


def bench():
    p = run(["bench", MODEL, "-p", "32", "-n", "4", "-r", "1", "-t", "2", "--json"])
    try:
        j = json.loads(p.stdout)
    except ValueError:
        j = {}
    keys = ["model", "threads", "pp_tokens", "pp_tokens_per_s", "tg_tokens", "tg_tokens_per_s", "pp_runs", "tg_runs"]
    check(p.returncode == 0 and all(k in j for k in keys), "bench --json has " + ", ".join(keys), p.stdout + p.stderr)
    check(j.get("pp_tokens") == 32 and j.get("tg_tokens") == 4 and j.get("threads") == 2 and
          j.get("pp_tokens_per_s", 0) > 0 and j.get("tg_tokens_per_s", 0) > 0, "bench values", j)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_mode():
    # A store holding the model under a name; CORRAL_HOST points at a port where, at first,
    # nothing listens: `corral run NAME` must work in-process without asking for a server.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
    import store_helper
    import urllib.request
    with tempfile.TemporaryDirectory(prefix="corral-e2e-store-") as store:
        store_helper.add_model(store, "smollm2", MODEL)
        port = free_port()
        env = dict(os.environ, CORRAL_NUM_THREADS="2", CORRAL_MODELS=store, CORRAL_HOST=f"127.0.0.1:{port}")
        args = ["run", "smollm2", "Name a color.", "--temperature", "0", "--num-predict", "16"]

        def cli(*a, timeout=300):
            return subprocess.run([BIN, *a], capture_output=True, timeout=timeout, env=env)

        alone = cli(*args)
        out_alone = alone.stdout.decode("utf-8", errors="replace")
        check(alone.returncode == 0 and len(out_alone.strip()) > 0, "run NAME with no server: in-process answer",
              (alone.returncode, alone.stderr))
        check("serve" not in alone.stderr.decode(), "run NAME with no server does not ask to start one",
              alone.stderr)
        p = cli("ps")
        check(p.returncode == 1 and p.stderr.decode().startswith("Error: ") and "could not connect" in
              p.stderr.decode(), "ps with no server: Error: could not connect, exit 1", (p.returncode, p.stderr))

        log = tempfile.TemporaryFile()
        srv = subprocess.Popen([BIN, "serve"], env=env, stdout=log, stderr=log)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            p = cli("ps")
            lines = p.stdout.decode().splitlines()
            check(p.returncode == 0 and lines and lines[0].split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT",
                                                                       "UNTIL"] and len(lines) == 1,
                  "ps with nothing loaded: the header only", p.stdout)
            served = cli(*args, "--verbose")
            out_served = served.stdout.decode("utf-8", errors="replace")
            check(served.returncode == 0 and out_served == out_alone,
                  "run NAME through the server: the same greedy answer as in-process",
                  (served.returncode, out_served, out_alone, served.stderr))
            n_words = len(out_served.split())
            m = re.search(r"^eval count:\s+(\d+) token\(s\)$", served.stderr.decode(), re.M)
            check(m is not None and 0 < int(m.group(1)) <= 16 and int(m.group(1)) >= n_words // 2,
                  "run through the server: --verbose statistics from the server", served.stderr)
            # The server did the work: it now has the model loaded.
            p = cli("ps")
            lines = p.stdout.decode().splitlines()
            row = lines[1].split() if len(lines) == 2 else []
            check(p.returncode == 0 and len(row) >= 6 and row[0] == "smollm2:latest" and len(row[1]) == 12 and
                  "CPU" in lines[1] and "4096" in row and "minutes from now" in lines[1],
                  "ps after run: NAME, ID, SIZE, PROCESSOR, CONTEXT, UNTIL of the loaded model", p.stdout)
            p = cli("stop", "smollm2")
            check(p.returncode == 0, "stop NAME exits 0", p.stderr)
            p = cli("ps")
            check(p.returncode == 0 and len(p.stdout.decode().splitlines()) == 1, "ps after stop: nothing loaded",
                  p.stdout)
            p = cli("run", "missing-model", "hi")
            check(p.returncode == 1 and p.stderr.decode().startswith("Error: ") and "not found" in p.stderr.decode(),
                  "run of an unknown name through the server: Error: not found, exit 1", p.stderr)
        finally:
            srv.terminate()
            try:
                srv.wait(timeout=30)
            except subprocess.TimeoutExpired:
                srv.kill()


def main():
    if not BIN or not os.path.exists(BIN):
        sys.exit("CORRAL_BIN not set or missing")
    if not MODEL or not os.path.exists(MODEL):
        print("SmolLM2 GGUF not installed; skipping")
        return 0
    one_shot()
    piped_and_raw()
    errors()
    repl()
    bench()
    client_mode()
    print(f"{len(FAILED)} failed" if FAILED else "all e2e checks passed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
