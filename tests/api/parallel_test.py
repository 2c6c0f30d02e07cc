#!/usr/bin/env python3
"""Live concurrency test of `corral serve` on SmolLM2 with the official `ollama` client:

- 8 clients stream /api/generate at once with CORRAL_NUM_PARALLEL=4 and =8; every answer is
  complete and, greedy, token for token what the same prompt gives alone on a server with
  CORRAL_NUM_PARALLEL=1 (continuous batching must not change the numerics);
- a client that disconnects mid-stream frees its slot: a request waiting behind it starts;
- prompt-prefix reuse: a continued conversation (/api/generate `context`) evaluates only the
  new tokens (prompt_eval_count, counted with llama.cpp's tokenizer on the same GGUF);
- context shift: num_predict beyond num_ctx keeps generating ("length" after num_predict).

Env: CORRAL_BIN, CORRAL_SMOLLM2_GGUF (the test is skipped without it)."""
import json
import os
import socket
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import store_helper  # noqa: E402
from api_clients_test import GGUF, HAVE_MODEL, Server, free_port  # noqa: E402

import ollama  # noqa: E402

# Short raw prompts keep the test lean.
PROMPTS = [
    "Three fruits are",
    "The capital of Italy is",
    "Rain falls on",
    "A CPU is",
    "Happy means",
    "A spider has",
    "Good morning in French is",
    "On a clear day the sky is",
]
GREEDY = {"temperature": 0, "num_predict": 10, "seed": 1}


def chat_stream(url, prompt, out, i):
    try:
        c = ollama.Client(host=url)
        parts, last = [], None
        for ch in c.generate(model="smollm2", prompt=prompt, raw=True, options=GREEDY, stream=True):
            parts.append(ch.response)
            last = ch
        out[i] = ("".join(parts), last)
    except Exception as e:  # reported by the caller
        out[i] = e


def run_all_at_once(url, prompts):
    out = [None] * len(prompts)
    threads = [threading.Thread(target=chat_stream, args=(url, p, out, i)) for i, p in enumerate(prompts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return out


def single_runs(store, isa):
    s = Server(store, free_port(), {"CORRAL_NUM_PARALLEL": "1", "CORRAL_CPU_ISA": isa})
    try:
        out = []
        for p in PROMPTS:
            res = [None]
            chat_stream(s.url, p, res, 0)
            assert not isinstance(res[0], Exception), res[0]
            out.append(res[0])
        return out
    finally:
        s.stop()


def test_parallel(store, reference, num_parallel, isa):
    s = Server(store, free_port(), {"CORRAL_NUM_PARALLEL": str(num_parallel), "CORRAL_CPU_ISA": isa})
    try:
        got = run_all_at_once(s.url, PROMPTS)
        for i, (g, (ref_text, ref_last)) in enumerate(zip(got, reference)):
            assert not isinstance(g, Exception) and g is not None, f"client {i}: {g!r}"
            text, last = g
            assert last.done and last.done_reason == ref_last.done_reason, (i, last)
            assert last.eval_count == ref_last.eval_count, (i, last.eval_count, ref_last.eval_count)
            assert text == ref_text, f"client {i} ({PROMPTS[i]!r}): batched {text!r} != alone {ref_text!r}"
        ps = ollama.Client(host=s.url).ps().models
        assert len(ps) == 1 and ps[0].context_length == 4096, ps
    finally:
        s.stop()


def test_disconnect_frees_slot(store):
    import http.client
    s = Server(store, free_port(), {"CORRAL_NUM_PARALLEL": "1"})
    try:
        c = ollama.Client(host=s.url)
        c.generate(model="smollm2", prompt="Hi", options={"num_predict": 1}, stream=False)  # loaded
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        # A raw counting prompt at temperature 0 goes on far longer than the test (a story could end
        # with an end-of-turn token within seconds on a quiet machine).
        conn.request("POST", "/api/generate", json.dumps({"model": "smollm2", "raw": True,
                                                          "prompt": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,",
                                                          "options": {"num_predict": 100000, "temperature": 0}}))
        resp = conn.getresponse()
        assert resp.status == 200
        assert json.loads(resp.readline())["done"] is False
        # The only slot is busy: a second request waits in the queue.
        waiting = {}

        def second():
            t0 = time.time()
            r = ollama.Client(host=s.url).generate(model="smollm2", prompt="Say yes.",
                                                   options={"num_predict": 3, "temperature": 0}, stream=False)
            waiting["r"], waiting["t"] = r, time.time()
            waiting["took"] = time.time() - t0

        t = threading.Thread(target=second)
        t.start()
        t.join(timeout=3)
        assert "r" not in waiting, "the second request did not wait for the busy slot"
        assert json.loads(resp.readline())["done"] is False, "the first request ended before the disconnect"
        conn.sock.shutdown(socket.SHUT_RDWR)
        conn.close()
        t_disc = time.time()
        t.join(timeout=60)
        assert "r" in waiting, "the waiting request did not start after the disconnect"
        r = waiting["r"]
        assert r.done and r.eval_count == 3, r
        # Started at once: its own run is a few tokens; allow for a loaded, shared machine.
        assert waiting["t"] - t_disc < 15, waiting["t"] - t_disc
    finally:
        s.stop()


def count_tokens(text):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=GGUF, vocab_only=True, verbose=False)
    return len(llm.tokenize(text.encode(), add_bos=False, special=False))


def test_prefix_reuse_and_shift(store):
    s = Server(store, free_port(), {"CORRAL_NUM_PARALLEL": "2"})
    try:
        c = ollama.Client(host=s.url)
        opts = {"temperature": 0, "num_predict": 8}
        r1 = c.generate(model="smollm2", prompt="Tell me about the moon.", options=opts, stream=False)
        assert len(r1.context) == r1.prompt_eval_count + r1.eval_count
        more = " And the sun?"
        r2 = c.generate(model="smollm2", prompt=more, context=r1.context, raw=True, options=opts, stream=False)
        n_new = count_tokens(more)
        # Only the new text and the last answer token (sampled, never fed) are evaluated.
        assert r2.prompt_eval_count == n_new + 1, (r2.prompt_eval_count, n_new)
        assert len(r2.context) == len(r1.context) + n_new + r2.eval_count

        # Context shift: 48 tokens of context, 120 to generate from a counting prompt.
        r3 = c.generate(model="smollm2", prompt="Count from 1 to 200: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,", raw=True,
                        options={"temperature": 0, "num_predict": 120, "num_ctx": 48, "num_keep": 4,
                                 "repeat_penalty": 1.0}, stream=False)
        assert r3.prompt_eval_count < 48 <= r3.prompt_eval_count + r3.eval_count, r3
        assert r3.done_reason == "length" and r3.eval_count == 120, (r3.done_reason, r3.eval_count, r3.response)
        # Greedy counting goes on correctly across the shifts (the last number may be cut).
        nums = [int(x) for x in r3.response.split(",")[:-1]]
        assert len(nums) >= 25 and nums == list(range(11, 11 + len(nums))), r3.response
    finally:
        s.stop()


def main():
    if not HAVE_MODEL:
        print("SmolLM2 GGUF not available: skipped")
        return 0
    failures = 0
    with tempfile.TemporaryDirectory(prefix="corral-parallel-") as store:
        store_helper.add_model(store, "smollm2", GGUF)
        reference = None
        # The equality checks run on the machine's own kernels (CORRAL_CPU_ISA empty = the best
        # level): since the GEMV (1-3 rows) and GEMM (4+ rows) paths quantize activations and sum
        # Q4_1 dots alike, a sequence's logits do not depend on how many others share its step.
        isa = os.environ.get("CORRAL_PARALLEL_TEST_ISA", "")
        tests = [("prefix reuse and context shift", lambda: test_prefix_reuse_and_shift(store)),
                 ("disconnect frees the slot", lambda: test_disconnect_frees_slot(store)),
                 ("8 clients, NUM_PARALLEL=4", lambda: test_parallel(store, reference, 4, isa)),
                 ("8 clients, NUM_PARALLEL=8", lambda: test_parallel(store, reference, 8, isa))]
        t0 = time.time()
        try:
            reference = single_runs(store, isa)
            print(f"ok   single-client references ({time.time() - t0:.1f}s)")
        except Exception:
            print("FAIL single-client references")
            traceback.print_exc()
            return 1
        for name, fn in tests:
            t0 = time.time()
            try:
                fn()
                print(f"ok   {name} ({time.time() - t0:.1f}s)")
            except Exception:
                failures += 1
                print(f"FAIL {name}")
                traceback.print_exc()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
