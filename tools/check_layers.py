#!/usr/bin/env python3
"""Checks the layer rule of ARCHITECTURE.md: each src/<layer> includes only the layers below it.

Exits non-zero listing every `#include "<layer>/..."` that crosses a layer boundary upwards.
"""
import os
import re
import sys

# layer -> layers it may include (itself is always allowed)
ALLOWED = {
    "util": set(),
    "formats": {"util"},
    "ml": {"util", "formats"},
    "backends/reference": {"util", "ml"},
    "backends/cpu": {"util", "ml"},
    "nn": {"util", "ml"},
    "kv": {"util", "ml"},
    "tokenizer": {"util", "formats"},
    "template": {"util"},
    "sample": {"util"},
    "models": {"util", "formats", "ml", "nn", "kv", "convert"},
    "convert": {"util", "formats", "ml", "models", "tokenizer", "template"},
    "runner": {"util", "formats", "ml", "nn", "kv", "models", "tokenizer", "template", "sample"},
    "store": {"util", "formats", "convert", "template"},
    "registry": {"util", "store"},
    "sched": {"util", "formats", "ml", "kv", "models", "tokenizer", "template", "sample", "runner", "store"},
    "runtime": {"util", "formats", "ml", "backends/cpu", "backends/reference", "store"},
    "server": {"util", "formats", "ml", "models", "tokenizer", "template", "sample", "runner", "sched",
               "store", "registry", "runtime", "convert"},
    "cli": None,  # the executable may include anything
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    parts = rel.split("/")
    if parts[0] == "backends" and len(parts) > 1:
        return "backends/" + parts[1]
    return parts[0]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    src = os.path.join(root, "src")
    bad = []
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith((".h", ".cpp", ".inc")):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, src)
            layer = layer_of(rel)
            allowed = ALLOWED.get(layer, set())
            if allowed is None:
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                for m in INCLUDE.finditer(fh.read()):
                    inc = m.group(1)
                    if "/" not in inc:
                        continue
                    target = layer_of(inc)
                    if target not in ALLOWED or target == layer:
                        continue
                    if target not in allowed:
                        bad.append(f"src/{rel}: includes {inc} ({layer} may not depend on {target})")
    for b in bad:
        print(b)
    print(f"check_layers: {len(bad)} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
