#!/usr/bin/env python3
"""Writes sampler_goldens.json: final sampling distributions computed with numpy, straight from
the llama.cpp definitions of each stage (penalties, top-k, typical-p, top-p, min-p,
temperature), for the C++ sampler tests. Run: .venv/bin/python tests/unit/sample/make_goldens.py
"""
import json
import os

import numpy as np

MARGIN = 1e-4  # cut-offs must not sit closer than this to a threshold (float32 vs float64)


def softmax(x):
    m = np.max(x)
    e = np.exp(x - m)
    return e / e.sum()


def penalize(logits, history, window, repeat, freq, pres):
    out = logits.astype(np.float64).copy()
    if window == 0:
        return out
    recent = history[-window:] if window > 0 else history
    ids, counts = np.unique(np.array(recent, dtype=np.int64), return_counts=True)
    for t, n in zip(ids, counts):
        if t < 0 or t >= len(out):
            continue
        out[t] = out[t] * repeat if out[t] <= 0 else out[t] / repeat
        out[t] -= n * freq + pres
    return out


def reference(logits, history, o):
    """Returns (ids, probs, penalized logits) of the final distribution."""
    x = logits.astype(np.float64).copy()
    for t, b in o.get("logit_bias", []):
        x[t] += b
    x = penalize(x, history, o["repeat_last_n"], o["repeat_penalty"], o["frequency_penalty"],
                 o["presence_penalty"])
    penalized = x.copy()
    ids = np.arange(len(x))
    k = o["top_k"]
    if 0 < k < len(ids):
        order = np.argsort(-x[ids], kind="stable")
        ids = ids[order[:k]]
    if o["typical_p"] < 1:
        p = softmax(x[ids])
        ent = -np.sum(p[p > 0] * np.log(p[p > 0]))
        score = np.abs(-np.log(p) - ent)
        order = np.argsort(score, kind="stable")
        cum = np.cumsum(p[order])
        n = int(np.argmax(cum > o["typical_p"])) + 1 if np.any(cum > o["typical_p"]) else len(order)
        assert abs(cum[n - 1] - o["typical_p"]) > MARGIN
        assert n == len(order) or abs(score[order[n]] - score[order[n - 1]]) > MARGIN
        ids = ids[order[:n]]
    if o["top_p"] < 1:
        p = softmax(x[ids])
        order = np.argsort(-p, kind="stable")
        cum = np.cumsum(p[order])
        n = int(np.argmax(cum >= o["top_p"])) + 1 if np.any(cum >= o["top_p"]) else len(order)
        assert abs(cum[n - 1] - o["top_p"]) > MARGIN
        ids = ids[order[:n]]
    if o["min_p"] > 0:
        p = softmax(x[ids])
        keep = p >= o["min_p"] * p.max()
        assert np.all(np.abs(p - o["min_p"] * p.max()) > MARGIN * p.max())
        ids = ids[keep]
    if o["temperature"] <= 0:
        best = int(np.argmax(x))
        return [best], [1.0], penalized
    probs = softmax(x[ids] / o["temperature"])
    order = np.argsort(ids)
    return ids[order].tolist(), probs[order].tolist(), penalized


def options(**kw):
    o = dict(temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0, repeat_penalty=1.0,
             presence_penalty=0.0, frequency_penalty=0.0, repeat_last_n=0)
    o.update(kw)
    return o


def main():
    rng = np.random.default_rng(20240607)
    small = (rng.standard_normal(50) * 3).astype(np.float32)
    small_neg = (rng.standard_normal(50) * 2 - 1).astype(np.float32)
    big = (rng.standard_normal(1000) * 1.0).astype(np.float32)
    hist_small = rng.integers(0, 50, size=30).tolist()
    hist_big = rng.integers(0, 1000, size=200).tolist()
    vectors = {"small": small, "small_neg": small_neg, "big": big}
    histories = {"none": [], "small": hist_small, "big": hist_big}
    cases = [
        ("top_k", "small", "none", options(top_k=5)),
        ("top_p", "small", "none", options(top_p=0.8)),
        ("min_p", "small", "none", options(min_p=0.1)),
        ("typical_p", "small", "none", options(typical_p=0.5)),
        ("temperature", "small", "none", options(temperature=0.5)),
        ("temperature_hot", "small", "none", options(temperature=2.5)),
        ("greedy", "small", "small", options(temperature=0.0, repeat_penalty=1.5, repeat_last_n=64)),
        ("penalties", "small_neg", "small",
         options(repeat_penalty=1.3, frequency_penalty=0.2, presence_penalty=0.5, repeat_last_n=8)),
        ("penalties_whole_history", "small_neg", "small",
         options(repeat_penalty=0.7, frequency_penalty=-0.1, presence_penalty=0.3, repeat_last_n=30)),
        ("ollama_defaults", "big", "big",
         options(temperature=0.8, top_k=40, top_p=0.9, repeat_penalty=1.1, repeat_last_n=64)),
        ("all_stages", "big", "big",
         options(temperature=1.5, top_k=200, typical_p=0.9, top_p=0.95, min_p=0.05,
                 repeat_penalty=1.2, presence_penalty=0.1, frequency_penalty=0.05,
                 repeat_last_n=100, logit_bias=[[3, 2.5], [17, -1.0]])),
        ("top_p_wide", "big", "none", options(top_p=0.99)),
        ("typical_wide", "big", "none", options(typical_p=0.7)),
        ("bias_ban", "small", "none",
         options(top_k=3, logit_bias=[[int(np.argmax(small)), float("-inf")]])),
    ]
    out = []
    for name, vec, hist, o in cases:
        ids, probs, pen = reference(vectors[vec], histories[hist], o)
        case = dict(name=name, options={k: v for k, v in o.items() if k != "logit_bias"},
                    logit_bias=[[t, b if np.isfinite(b) else "-inf"] for t, b in o.get("logit_bias", [])],
                    logits=vec, history=hist, expect_ids=ids,
                    expect_p=[float(np.float32(v)) for v in probs])
        if name.startswith("penalties"):
            case["expect_logits"] = [float(np.float32(v)) for v in pen]
        out.append(case)
    doc = {"generator": "tests/unit/sample/make_goldens.py",
           # str(np.float32) is the shortest text that reads back as the same float32
           "vectors": {k: [json.loads(str(v)) for v in arr] for k, arr in vectors.items()},
           "histories": histories, "cases": out}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sampler_goldens.json")
    with open(path, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
