#!/usr/bin/env python3
"""Peer check of /api/embed: corral's embedding of a text must equal the normalized last-token
hidden state (after the final norm) that llama.cpp computes on the same GGUF with
embedding=True and pooling LAST (what Ollama uses for a generative model without a
<arch>.pooling_type), cosine > 0.99.

Env: CORRAL_BIN, CORRAL_SMOLLM2_GGUF."""
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_clients_test as act  # noqa: E402
import store_helper  # noqa: E402

import ollama  # noqa: E402

TEXTS = ["The sky is blue because of Rayleigh scattering.", "def add(a, b):\n    return a + b",
         "Bonjour, comment allez-vous ?", "x"]


def main():
    if not act.HAVE_MODEL:
        print("SmolLM2 GGUF not available: skipped")
        return 0
    import llama_cpp
    peer = llama_cpp.Llama(model_path=act.GGUF, embedding=True, n_ctx=512, n_threads=2, verbose=False,
                           pooling_type=llama_cpp.LLAMA_POOLING_TYPE_LAST)
    with tempfile.TemporaryDirectory(prefix="corral-embed-") as store:
        store_helper.add_model(store, "smollm2", act.GGUF)
        s = act.Server(store, act.free_port())
        failures = 0
        try:
            c = ollama.Client(host=s.url)
            ours = c.embed(model="smollm2", input=TEXTS).embeddings
            for text, mine in zip(TEXTS, ours):
                ref = np.asarray(peer.embed(text, normalize=False), dtype=np.float64).reshape(-1)
                ref = ref / np.linalg.norm(ref)
                cos = float(np.dot(ref, np.asarray(mine, dtype=np.float64)))
                ok = cos > 0.99
                failures += 0 if ok else 1
                print(f"{'ok  ' if ok else 'FAIL'} cosine {cos:.5f}  {text[:40]!r}")
        finally:
            s.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
