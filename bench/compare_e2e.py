#!/usr/bin/env python3
"""End-to-end speed of corral vs llama.cpp (llama-cpp-python) on one GGUF, llama-bench style.

Protocol, the same for both engines (each run in its own subprocess, one process per run, runs
alternating corral / llama.cpp so machine noise hits both alike):
  - load the model (mmap), n_ctx = max(pp, tg), n_batch = n_ubatch = pp, F16 KV cache, flash
    attention on (corral always uses its fused attention op), the same thread count;
  - warm-up: one pp run and a 4-token tg run (untimed);
  - pp: one llama_decode of `pp` random tokens from an empty cache (logits of the last only);
  - tg: from an empty cache, `tg` single-token llama_decode calls (each computing logits).
Printed per engine: median tokens/s over runs for pp and tg, the ratio corral / llama.cpp, and
the peak RSS of each process (ru_maxrss from wait4). The llama.cpp child is a Python process, so
its RSS before loading the model (interpreter + libraries) is printed too and subtracted in the
"model RSS" column, which compares the engines on the same footing.

  .venv/bin/python bench/compare_e2e.py MODEL.gguf [--threads 2] [--pp 512] [--tg 128] [--runs 3]
                                        [--corral build/src/cli/corral] [--json]
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def vm_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def peer_child(args):
    """Runs inside the llama.cpp subprocess: one warm-up and `reps` timed pp/tg runs; prints JSON."""
    import llama_cpp as lc
    base_rss = vm_kib("VmRSS")
    lc.llama_backend_init()
    mp = lc.llama_model_default_params()
    mp.use_mmap = True
    model = lc.llama_model_load_from_file(args.model.encode(), mp)
    if not model:
        sys.exit("llama.cpp could not load " + args.model)
    cp = lc.llama_context_default_params()
    cp.n_ctx = max(args.pp, args.tg)
    cp.n_batch = args.pp
    cp.n_ubatch = args.pp
    cp.n_threads = args.threads
    cp.n_threads_batch = args.threads
    cp.flash_attn_type = lc.LLAMA_FLASH_ATTN_TYPE_ENABLED
    cp.no_perf = True
    ctx = lc.llama_init_from_model(model, cp)
    n_vocab = lc.llama_vocab_n_tokens(lc.llama_model_get_vocab(model))
    rng = random.Random(1234)
    tokens = [rng.randrange(n_vocab) for _ in range(max(args.pp, args.tg))]
    batch = lc.llama_batch_init(args.pp, 0, 1)
    mem = lc.llama_get_memory(ctx)

    def decode(toks, pos0):
        batch.n_tokens = len(toks)
        for i, t in enumerate(toks):
            batch.token[i] = t
            batch.pos[i] = pos0 + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = i == len(toks) - 1
        if lc.llama_decode(ctx, batch) != 0:
            sys.exit("llama_decode failed")

    def run_pp():
        lc.llama_memory_clear(mem, True)
        t0 = time.perf_counter()
        decode(tokens[:args.pp], 0)
        lc.llama_synchronize(ctx)
        return args.pp / (time.perf_counter() - t0)

    def run_tg(n):
        lc.llama_memory_clear(mem, True)
        t0 = time.perf_counter()
        for i in range(n):
            decode(tokens[i:i + 1], i)
        lc.llama_synchronize(ctx)
        return n / (time.perf_counter() - t0)

    run_pp()
    run_tg(min(4, args.tg))
    pp = [run_pp() for _ in range(args.reps)]
    tg = [run_tg(args.tg) for _ in range(args.reps)]
    print(json.dumps({"pp_runs": pp, "tg_runs": tg, "base_rss_kib": base_rss, "hwm_kib": vm_kib("VmHWM")}))
    lc.llama_batch_free(batch)
    lc.llama_free(ctx)
    lc.llama_model_free(model)


def run_measured(cmd):
    """Runs cmd; returns (stdout, peak RSS KiB of the child from wait4)."""
    # stderr goes to a file: llama.cpp logs a lot there, and a full pipe would block the child.
    with tempfile.TemporaryFile() as err_file:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        err_file.seek(0)
        err = err_file.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({p.returncode}): {err.decode(errors='replace')[-2000:]}")
    return out, usage.ru_maxrss  # KiB on Linux


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pp", type=int, default=512)
    ap.add_argument("--tg", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3, help="alternating runs (processes) per engine")
    ap.add_argument("--reps", type=int, default=1, help="timed repetitions inside each process")
    ap.add_argument("--corral", default=os.path.join(REPO, "build", "src", "cli", "corral"))
    ap.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ap.add_argument("--peer-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer_child:
        peer_child(args)
        return
    if not os.path.exists(args.model):
        sys.exit("no such model: " + args.model)

    corral_cmd = [args.corral, "bench", args.model, "-p", str(args.pp), "-n", str(args.tg), "-t", str(args.threads),
                  "-r", str(args.reps), "--json"]
    peer_cmd = [sys.executable, os.path.abspath(__file__), args.model, "--peer-child", "--threads", str(args.threads),
                "--pp", str(args.pp), "--tg", str(args.tg), "--reps", str(args.reps)]
    res = {"corral": {"pp": [], "tg": [], "rss": []}, "llama.cpp": {"pp": [], "tg": [], "rss": [], "base": []}}
    for run in range(args.runs):
        out, rss = run_measured(corral_cmd)
        j = json.loads(out)
        res["corral"]["pp"] += j["pp_runs"]
        res["corral"]["tg"] += j["tg_runs"]
        res["corral"]["rss"].append(rss)
        out, rss = run_measured(peer_cmd)
        j = json.loads(out)
        res["llama.cpp"]["pp"] += j["pp_runs"]
        res["llama.cpp"]["tg"] += j["tg_runs"]
        res["llama.cpp"]["rss"].append(rss)
        res["llama.cpp"]["base"].append(j["base_rss_kib"])
        print(f"run {run + 1}/{args.runs}: corral pp {res['corral']['pp'][-1]:.1f} tg {res['corral']['tg'][-1]:.2f} | "
              f"llama.cpp pp {res['llama.cpp']['pp'][-1]:.1f} tg {res['llama.cpp']['tg'][-1]:.2f}", file=sys.stderr)

    med = statistics.median
    c, p = res["corral"], res["llama.cpp"]
    summary = {
        "model": os.path.basename(args.model), "threads": args.threads, "pp_tokens": args.pp, "tg_tokens": args.tg,
        "runs": args.runs * args.reps,
        "corral": {"pp_tokens_per_s": med(c["pp"]), "tg_tokens_per_s": med(c["tg"]),
                   "peak_rss_mib": max(c["rss"]) / 1024, "pp_runs": c["pp"], "tg_runs": c["tg"]},
        "llama.cpp": {"pp_tokens_per_s": med(p["pp"]), "tg_tokens_per_s": med(p["tg"]),
                      "peak_rss_mib": max(p["rss"]) / 1024, "python_base_rss_mib": med(p["base"]) / 1024,
                      "pp_runs": p["pp"], "tg_runs": p["tg"]},
    }
    summary["pp_ratio"] = summary["corral"]["pp_tokens_per_s"] / summary["llama.cpp"]["pp_tokens_per_s"]
    summary["tg_ratio"] = summary["corral"]["tg_tokens_per_s"] / summary["llama.cpp"]["tg_tokens_per_s"]
    peer_model_rss = summary["llama.cpp"]["peak_rss_mib"] - summary["llama.cpp"]["python_base_rss_mib"]
    summary["llama.cpp"]["model_rss_mib"] = peer_model_rss
    summary["rss_ratio"] = summary["corral"]["peak_rss_mib"] / peer_model_rss if peer_model_rss > 0 else None
    if args.json:
        print(json.dumps(summary))
        return
    name = summary["model"]
    print(f"{name}  threads={args.threads}  median of {args.runs * args.reps} runs per engine")
    print(f"| {'engine':10} | {'pp' + str(args.pp) + ' t/s':>11} | {'tg' + str(args.tg) + ' t/s':>11} | "
          f"{'peak RSS MiB':>12} | {'model RSS MiB':>13} |")
    print(f"| {'-' * 10} | {'-' * 11} | {'-' * 11} | {'-' * 12} | {'-' * 13} |")
    for eng in ("corral", "llama.cpp"):
        s = summary[eng]
        model_rss = s["peak_rss_mib"] - s.get("python_base_rss_mib", 0)
        print(f"| {eng:10} | {s['pp_tokens_per_s']:11.2f} | {s['tg_tokens_per_s']:11.2f} | {s['peak_rss_mib']:12.1f} | "
              f"{model_rss:13.1f} |")
    print(f"ratio corral/llama.cpp: pp {summary['pp_ratio']:.3f}  tg {summary['tg_ratio']:.3f}  "
          f"model RSS {summary['rss_ratio']:.3f}")


if __name__ == "__main__":
    main()
