#!/usr/bin/env python3
"""Aggregate generation throughput of `corral serve` with several streams decoded together
(CORRAL_NUM_PARALLEL) against one stream alone, on the same GGUF and thread count. Prints the
tokens/s of each and their ratio. A benchmark, not a test: it asserts nothing.

usage: bench_parallel.py [--bin build/src/cli/corral] [--gguf PATH] [--parallel 4]
                         [--tokens 128] [--threads N] [--rounds 3]

The single-stream and parallel runs alternate (--rounds pairs) so that load from other work on
the machine hits both alike; the ratio printed is the median of the per-round ratios, with the
load average at the start and the end."""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
import store_helper  # noqa: E402

PROMPTS = ["Tell me a story about a dragon.", "Describe the ocean.", "Explain how rain forms.",
           "Write a poem about autumn.", "What is a black hole?", "Describe a busy market.",
           "How do bees make honey?", "Tell me about the history of bread."]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    req = urllib.request.Request(url + "/api/generate", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())


def generate(url, prompt, tokens, out, i):
    # Sampling with a fixed seed and no EOG stop by length only: every stream makes `tokens`.
    out[i] = post(url, {"model": "m", "prompt": prompt, "stream": False,
                        "options": {"num_predict": tokens, "temperature": 0.7, "seed": i + 1}})


def measure(url, n_streams, tokens):
    out = [None] * n_streams
    threads = [threading.Thread(target=generate, args=(url, PROMPTS[i % len(PROMPTS)], tokens, out, i))
               for i in range(n_streams)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - t0
    generated = sum(r["eval_count"] for r in out)
    prompt_s = sum(r["prompt_eval_duration"] for r in out) / 1e9 / n_streams
    return generated, wall, prompt_s


def main():
    ap = argparse.ArgumentParser()
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    ap.add_argument("--bin", default=os.path.join(repo, "build", "src", "cli", "corral"))
    ap.add_argument("--gguf", default=os.environ.get("CORRAL_SMOLLM2_GGUF", ""))
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0, help="CORRAL_NUM_THREADS (0: all cores)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating single/parallel pairs")
    a = ap.parse_args()
    if not a.gguf:
        a.gguf = subprocess.run(["bash", os.path.join(repo, "scripts", "smollm2_path.sh")], capture_output=True,
                                text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as store:
        store_helper.add_model(store, "m", a.gguf)
        port = free_port()
        env = dict(os.environ, CORRAL_HOST=f"127.0.0.1:{port}", CORRAL_MODELS=store,
                   CORRAL_NUM_PARALLEL=str(a.parallel))
        if a.threads > 0:
            env["CORRAL_NUM_THREADS"] = str(a.threads)
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen([a.bin, "serve"], env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(url + "/", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            post(url, {"model": "m", "prompt": "Hi", "stream": False, "options": {"num_predict": 4}})  # load, warm
            load_start = os.getloadavg()
            rounds = []
            for _ in range(max(1, a.rounds)):
                n1, w1, _ = measure(url, 1, a.tokens)
                nn, wn, _ = measure(url, a.parallel, a.tokens)
                rounds.append((n1 / w1, nn / wn))
            load_end = os.getloadavg()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"model {os.path.basename(a.gguf)}, CORRAL_NUM_PARALLEL={a.parallel}, {a.tokens} tokens per stream, "
          f"threads {a.threads or 'all'}, load average {load_start[0]:.2f} -> {load_end[0]:.2f}")
    for i, (one, agg) in enumerate(rounds):
        print(f"round {i + 1}: 1 stream {one:.1f} tok/s, {a.parallel} streams {agg:.1f} tok/s aggregate, "
              f"ratio {agg / one:.2f}x")
    ratios = sorted(agg / one for one, agg in rounds)
    print(f"median ratio {ratios[len(ratios) // 2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
