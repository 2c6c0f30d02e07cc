#!/usr/bin/env bash
# corral's mul_mat (bench_matmul) beside llama.cpp's ggml (peer_matmul.py) on the same shapes,
# dtypes and thread count; runs alternate REPS times (the machine is shared: medians only).
# Besides wall-clock rates it prints rates per CPU second (corral: the calling thread's CPU time;
# ggml: the process's), which on THREADS=1 are the kernels' speeds even on a loaded machine.
# Usage: bench/compare_matmul.sh [BUILD_DIR] ; env TYPES="Q4_0 Q8_0 Q4_K" SHAPES="decode prefill"
#        THREADS=2 REPS=3 BENCH_MATMUL=path/to/bench_matmul
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$repo/build-quant}"
bin="${BENCH_MATMUL:-$build/bench/bench_matmul}"
py="${CORRAL_PYTHON:-$repo/.venv/bin/python}"
types="${TYPES:-Q4_0 Q8_0 Q4_K}"
shapes="${SHAPES:-decode prefill}"
threads="${THREADS:-2}"
reps="${REPS:-3}"
[ -x "$bin" ] || { echo "no bench_matmul at $bin (build it: ninja -C $build bench_matmul)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
index_of() {  # position of a dtype in bench_matmul's kTypes
  local i=0
  for t in F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K; do
    [ "$t" = "$1" ] && { echo $i; return; }
    i=$((i + 1))
  done
  echo "unknown type $1" >&2; exit 1
}
for rep in $(seq "$reps"); do
  for t in $types; do
    for s in $shapes; do
      m=1; [ "$s" = prefill ] && m=512
      "$bin" --benchmark_filter="BM_MulMat/type:$(index_of "$t")/m:$m/threads:$threads/" \
        --benchmark_min_time=0.5 --benchmark_format=csv 2>/dev/null | grep '^"BM_MulMat' |
        sed "s/^/corral,$t,$s,/" >> "$tmp/corral.csv"
      "$py" "$repo/bench/peer_matmul.py" --types "$t" --shapes "$s" --threads "$threads" --reps 3 >> "$tmp/peer.txt"
    done
  done
done
"$py" - "$tmp/corral.csv" "$tmp/peer.txt" "$threads" <<'PY'
import csv, statistics, sys
from collections import defaultdict
ours, peer = defaultdict(lambda: defaultdict(list)), defaultdict(lambda: defaultdict(list))
with open(sys.argv[1]) as f:
    for row in csv.reader(f):
        # corral,<type>,<shape>,"name",iterations,real_time,cpu_time,time_unit,bytes/s,items/s,label,error_occurred,error_message,GB/s,GFLOP/s
        key = (row[1], row[2])
        real, cpu = float(row[5]), float(row[6])
        ours[key]["GB/s"].append(float(row[-2]))
        ours[key]["GFLOP/s"].append(float(row[-1]))
        ours[key]["cpuGB/s"].append(float(row[-2]) * real / cpu)
        ours[key]["cpuGFLOP/s"].append(float(row[-1]) * real / cpu)
with open(sys.argv[2]) as f:
    for line in f:
        parts = line.split()
        key = (parts[1], parts[2])
        vals = dict(p.split("=") for p in parts[3:])
        peer[key]["GB/s"].append(float(vals["GB/s"]))
        peer[key]["GFLOP/s"].append(float(vals["GFLOP/s"]))
        peer[key]["cpuGB/s"].append(float(vals["cpuGB/s"]))
        peer[key]["cpuGFLOP/s"].append(float(vals["cpuGFLOP/s"]))
print(f"threads={sys.argv[3]}; medians of {len(next(iter(ours.values()))['GB/s'])} alternating runs")
print(f"{'type':6} {'shape':8} {'corral GB/s':>11} {'ggml GB/s':>10} {'corral GFLOP/s':>15} {'ggml GFLOP/s':>13} {'ratio':>6}"
      f" | per CPU s: {'corral GB/s':>11} {'ggml GB/s':>10} {'corral GFLOP/s':>15} {'ggml GFLOP/s':>13} {'ratio':>6}")
for key in ours:
    o = {k: statistics.median(v) for k, v in ours[key].items()}
    p = {k: statistics.median(v) for k, v in peer[key].items()}
    print(f"{key[0]:6} {key[1]:8} {o['GB/s']:11.2f} {p['GB/s']:10.2f} {o['GFLOP/s']:15.1f} {p['GFLOP/s']:13.1f} "
          f"{o['GFLOP/s'] / p['GFLOP/s']:6.2f} |            {o['cpuGB/s']:11.2f} {p['cpuGB/s']:10.2f} "
          f"{o['cpuGFLOP/s']:15.1f} {p['cpuGFLOP/s']:13.1f} {o['cpuGFLOP/s'] / p['cpuGFLOP/s']:6.2f}")
PY
