#!/usr/bin/env python3
"""`corral show --tensors --json` on SmolLM2's GGUF must report exactly the tensor names, dtypes
and shapes that the reference reader (gguf.GGUFReader) reports, with gguf's innermost-first
shapes reversed to PyTorch order. Also checks `corral show FILE.gguf` against the reader.

Environment: CORRAL_BIN, CORRAL_SMOLLM2_GGUF (set by ctest)."""
import json
import os
import subprocess
import sys

import gguf


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    corral = os.environ["CORRAL_BIN"]
    path = os.environ.get("CORRAL_SMOLLM2_GGUF", "")
    if not path or not os.path.exists(path):
        fail(f"CORRAL_SMOLLM2_GGUF does not name a file: {path!r}")
    out = subprocess.run([corral, "show", "--tensors", "--json", path], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"corral show --tensors failed ({out.returncode}): {out.stderr}")
    got = json.loads(out.stdout)["tensors"]

    reader = gguf.GGUFReader(path)
    want = [{"name": t.name, "shape": [int(d) for d in reversed(t.shape.tolist())], "dtype": t.tensor_type.name}
            for t in reader.tensors]
    if len(got) != len(want):
        fail(f"{len(got)} tensors listed, gguf.GGUFReader has {len(want)}")
    for g, w in zip(got, want):
        if g != w:
            fail(f"tensor differs: corral {g} vs gguf {w}")
    params = sum(int(t.n_elements) for t in reader.tensors)
    if json.loads(out.stdout)["parameters"] != params:
        fail(f"parameters {json.loads(out.stdout)['parameters']} != {params}")

    # The summary: facts taken from the reference reader's fields.
    out = subprocess.run([corral, "show", path], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"corral show failed ({out.returncode}): {out.stderr}")
    text = out.stdout

    def field(key):
        return reader.fields[key].contents()

    arch = field("general.architecture")
    expect = [
        f"architecture        {arch}\n",
        f"({params})\n",
        f"context length      {field(arch + '.context_length')}\n",
        f"embedding length    {field(arch + '.embedding_length')}\n",
        f"{gguf.LlamaFileType(field('general.file_type')).name.removeprefix('MOSTLY_')} (file type {field('general.file_type')})",
        f"tensors             {len(reader.tensors)}\n",
        f"  tokenizer.ggml.tokens = [... {len(field('tokenizer.ggml.tokens'))} items]\n",
        f"  general.languages = {json.dumps(field('general.languages'))}\n",
    ]
    for e in expect:
        if e not in text:
            fail(f"`corral show` output lacks {e!r}:\n{text}")
    keys = [k for k in reader.fields if not k.startswith("GGUF.")]
    shown = [line.split(" = ", 1)[0].strip() for line in text.split("Metadata\n", 1)[1].splitlines() if " = " in line]
    if shown != keys:
        fail(f"metadata keys differ:\n corral {shown}\n gguf   {keys}")
    print(f"ok: {len(got)} tensors and {len(keys)} metadata keys agree with gguf.GGUFReader")


if __name__ == "__main__":
    main()
