#!/usr/bin/env bash
# The end-to-end speed table: corral vs llama.cpp (llama-cpp-python) on SmolLM2-135M Q4_1 and on
# synthetic Llama-3.2-1B GGUFs (Q4_0, Q4_K_M, Q8_0; random weights, real shapes, made once by
# tools/make_synthetic_gguf.py and cached), pp512 / tg128 at 2 threads, alternating runs, medians.
#   bench/run_speed_table.sh [--runs N] [--threads T] [--corral PATH] [--cache DIR] [--only NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=3
THREADS=2
CORRAL=build/src/cli/corral
CACHE=${CORRAL_BENCH_CACHE:-/tmp/corral-bench-models}
ONLY=()
while (($#)); do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --corral) CORRAL=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    --only) shift; while (($#)) && [[ $1 != --* ]]; do ONLY+=("$1"); shift; done ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
PY=.venv/bin/python
[[ -x $CORRAL ]] || { echo "corral binary not found at $CORRAL (build first)" >&2; exit 1; }
mkdir -p "$CACHE"

SMOLLM2=$(scripts/smollm2_path.sh)
declare -a NAMES=() PATHS=()
[[ -n $SMOLLM2 ]] && { NAMES+=("smollm2-135m-q4_1"); PATHS+=("$SMOLLM2"); }
for t in Q4_0 Q4_K_M Q8_0; do
  f="$CACHE/llama3.2-1b-${t,,}.gguf"
  if [[ ! -s $f ]]; then
    echo "== making $f" >&2
    $PY tools/make_synthetic_gguf.py --model llama3.2-1b --type "$t" --out "$f" >&2
  fi
  NAMES+=("llama3.2-1b-${t,,}"); PATHS+=("$f")
done

OUT=$(mktemp)
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]}
  if ((${#ONLY[@]})) && [[ ! " ${ONLY[*]} " == *" $name "* ]]; then continue; fi
  echo "== $name" >&2
  $PY bench/compare_e2e.py "${PATHS[$i]}" --threads "$THREADS" --runs "$RUNS" --corral "$CORRAL" --json \
    | sed "s/^/$name\t/" >>"$OUT"
done

$PY - "$OUT" <<'PYEOF'
import json, sys
rows = [l.split("\t", 1) for l in open(sys.argv[1]) if l.strip()]
print(f"| {'model':22} | {'corral pp512':>12} | {'llama pp512':>11} | {'pp ratio':>8} | {'corral tg128':>12} | "
      f"{'llama tg128':>11} | {'tg ratio':>8} | {'corral RSS':>10} | {'llama RSS':>9} | {'RSS ratio':>9} |")
print("|" + "|".join("-" * (w + 2) for w in (22, 12, 11, 8, 12, 11, 8, 10, 9, 9)) + "|")
for name, js in rows:
    s = json.loads(js)
    c, p = s["corral"], s["llama.cpp"]
    print(f"| {name:22} | {c['pp_tokens_per_s']:12.2f} | {p['pp_tokens_per_s']:11.2f} | {s['pp_ratio']:8.3f} | "
          f"{c['tg_tokens_per_s']:12.2f} | {p['tg_tokens_per_s']:11.2f} | {s['tg_ratio']:8.3f} | "
          f"{c['peak_rss_mib']:7.0f} MiB | {p['model_rss_mib']:5.0f} MiB | {s['rss_ratio']:9.3f} |")
print("t/s: median over runs; RSS: peak resident set (llama.cpp: minus its Python interpreter's RSS before loading).")
PYEOF
rm -f "$OUT"
