#!/usr/bin/env python3
"""Compare two folders of .npy tensor dumps, tensor by tensor, in graph order.

    compare_dumps.py CANDIDATE REFERENCE [--nmse 1e-6] [--filter REGEX]

CANDIDATE is usually a corral dump (CORRAL_DEBUG_DUMP, models/debug_dump.h), REFERENCE one made
by tools/capture_hf_dump.py from the PyTorch implementation; both hold <name>[.<layer>].npy and
order.txt. Tensors are compared in CANDIDATE's order (order.txt, else sorted names); a leading
batch dimension of one is dropped and equal-sized tensors of different shapes are reshaped to the
candidate's shape. Prints, per tensor, the shape, NMSE = sum((a-b)^2) / sum(b^2) and max |a-b|,
then names the first tensor whose NMSE exceeds the threshold (the first divergence).
Exit status: 0 no divergence, 1 divergence (or a shape mismatch), 2 usage error.
"""
import argparse
import os
import re
import sys

import numpy as np


def load_order(folder):
    path = os.path.join(folder, "order.txt")
    if os.path.exists(path):
        with open(path) as f:
            names = [line.strip() for line in f if line.strip()]
        seen = set()
        return [n for n in names if not (n in seen or seen.add(n))]
    return sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".npy"))


def squeeze_batch(a):
    return a[0] if a.ndim > 1 and a.shape[0] == 1 else a


def compare(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    diff = a - b
    denom = float(np.sum(b * b))
    num = float(np.sum(diff * diff))
    nmse = num / denom if denom > 0 else (0.0 if num == 0 else float("inf"))
    if not np.all(np.isfinite(a)):
        nmse = float("inf")
    return nmse, float(np.max(np.abs(diff))) if diff.size else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("candidate")
    ap.add_argument("reference")
    ap.add_argument("--nmse", type=float, default=1e-6, help="divergence threshold (default 1e-6)")
    ap.add_argument("--filter", default="", help="only tensors whose name matches this regex")
    args = ap.parse_args()
    for d in (args.candidate, args.reference):
        if not os.path.isdir(d):
            print(f"compare_dumps: {d} is not a folder", file=sys.stderr)
            return 2
    pattern = re.compile(args.filter) if args.filter else None
    names = [n for n in load_order(args.candidate) if not pattern or pattern.search(n)]
    first_bad = None
    compared = missing = 0
    print(f"{'tensor':<20} {'shape':<16} {'nmse':>10} {'max_abs':>10}")
    for name in names:
        ref_path = os.path.join(args.reference, name + ".npy")
        cand_path = os.path.join(args.candidate, name + ".npy")
        if not os.path.exists(cand_path):
            continue
        if not os.path.exists(ref_path):
            missing += 1
            print(f"{name:<20} {'':<16} {'(not in reference)':>21}")
            continue
        a = squeeze_batch(np.load(cand_path))
        b = squeeze_batch(np.load(ref_path))
        shape = "x".join(str(s) for s in a.shape)
        if a.size != b.size:
            print(f"{name:<20} {shape:<16} size differs from reference {b.shape}")
            first_bad = first_bad or name
            continue
        nmse, max_abs = compare(a, b.reshape(a.shape))
        compared += 1
        flag = ""
        if not nmse <= args.nmse:
            flag = "  <-- diverges" if first_bad is None else ""
            first_bad = first_bad or name
        print(f"{name:<20} {shape:<16} {nmse:10.3e} {max_abs:10.3e}{flag}")
    print(f"compared {compared} tensors ({missing} not in the reference)")
    if compared == 0:
        print("compare_dumps: no tensor in common", file=sys.stderr)
        return 2
    if first_bad:
        print(f"first divergence: {first_bad} (NMSE threshold {args.nmse:g})")
        return 1
    print("no divergence")
    return 0


if __name__ == "__main__":
    sys.exit(main())
