#!/usr/bin/env python3
"""compare_dumps on the tiny llama: a corral forward dump (model_dump_forward, argv[1]) against
the committed transformers dump (tools/capture_hf_dump.py --tiny llama --n-tokens 8) shows no
divergence over every named tensor; a perturbed copy is reported at the perturbed tensor; and,
when torch is installed, a fresh capture reproduces the committed reference."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

REPO = os.environ.get("CORRAL_REPO_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
GOLDEN = os.path.join(REPO, "tests", "golden", "models", "llama")
HF_DUMP = os.path.join(GOLDEN, "hf_dump")
COMPARE = os.path.join(REPO, "tools", "compare_dumps.py")
EXPECTED = ["inp_embd", "attn_norm", "Qcur", "Kcur", "Vcur", "q_rope", "k_rope", "kqv_out", "attn_out",
            "ffn_inp", "ffn_norm", "ffn_out", "l_out", "result_norm", "result_output"]


def compare(a, b):
    r = subprocess.run([sys.executable, COMPARE, a, b], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def main():
    dump_tool = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="corral_dumps_")
    try:
        corral = os.path.join(tmp, "corral")
        subprocess.run([dump_tool, os.path.join(GOLDEN, "model.gguf"), os.path.join(GOLDEN, "tokens.npy"), corral, "8"],
                       check=True)
        names = open(os.path.join(corral, "order.txt")).read().split()
        for base in EXPECTED:
            assert any(n == base or n.startswith(base + ".") for n in names), f"corral dump lacks {base}: {names}"
        assert names.index("attn_norm.0") < names.index("l_out.0") < names.index("attn_norm.1"), names

        code, out = compare(corral, HF_DUMP)
        print(out)
        assert code == 0 and "no divergence" in out and "compared 27 tensors (0 not in" in out, out

        bad = os.path.join(tmp, "bad")
        shutil.copytree(corral, bad)
        p = os.path.join(bad, "ffn_norm.1.npy")
        a = np.load(p)
        a[3, 5] += 0.05
        np.save(p, a)
        code, out = compare(bad, HF_DUMP)
        assert code == 1 and "first divergence: ffn_norm.1" in out, out

        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            print("torch/transformers not installed: skipping the fresh capture")
            return 0
        fresh = os.path.join(tmp, "fresh")
        subprocess.run([sys.executable, os.path.join(REPO, "tools", "capture_hf_dump.py"), "--tiny", "llama",
                        "--n-tokens", "8", "--out", fresh], check=True, capture_output=True)
        code, out = compare(fresh, HF_DUMP)
        assert code == 0, out
        print("OK")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
