#!/usr/bin/env bash
# The loop benchmark over several seeds: on test sets of 40 to 650 rows, one split's test
# error is one draw, and "no worse than the best peer" on a single split is decided by a few
# rows. For each seed, bench/loop/run.sh with SEED set (each project its own split, the loop
# and the peers seeded alike); then, per dataset, the median over seeds of mlloop's test error
# divided by the best peer's, and on how many seeds mlloop was no worse.
#   bash bench/loop/seeds.sh [BUDGET_SECONDS [SEEDS...]]   (default: 30 s; seeds 1 2 3 4 5)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
budget="${1:-30}"
shift || true
seeds=("$@")
((${#seeds[@]})) || seeds=(1 2 3 4 5)
files=()
for s in "${seeds[@]}"; do
  echo "== seed $s" >&2
  SEED="$s" LOOP_TAG="loop_seed$s" bash "$here/run.sh" "$budget" >/dev/null
  files+=("$root/bench/out/loop_seed$s.jsonl")
done
/usr/bin/python3 - "${files[@]}" <<'PY' | tee "$root/bench/out/loop_seeds.md"
import json, statistics, sys
by = {}
for f in sys.argv[1:]:
    for l in open(f):
        r = json.loads(l)
        m, h, o = r["mlloop"]["test"], r["hgb"]["test"], r["optuna"]["test"]
        best = min(h, o)
        ratio = m / best if best > 0 else (1.0 if m == 0 else float("inf"))
        by.setdefault(r["dataset"], []).append((m, h, o, ratio, r["mlloop"]["seconds"]))
n_seeds = len(sys.argv) - 1
print(f"{n_seeds} seeds; per dataset, medians over seeds of the test errors and of mlloop / best peer")
print("| dataset | mlloop test | HGB test | Optuna test | median mlloop / best peer | no worse on | mlloop s (median) |")
print("|---|---:|---:|---:|---:|---:|---:|")
ok = within = 0
for ds, v in by.items():
    med = lambda k: statistics.median(x[k] for x in v)
    ratio = med(3)
    wins = sum(x[3] <= 1.0 for x in v)
    ok += ratio <= 1.0
    within += ratio <= 1.05
    print(f"| {ds} | {med(0):.4f} | {med(1):.4f} | {med(2):.4f} | {ratio:.2f} | {wins}/{len(v)} | {med(4):.1f} |")
n = len(by)
print(f"\nmedian ratio <= 1 (no worse than the best peer) on {ok}/{n} datasets ({100 * ok / n:.0f}%; target >= 80%); "
      f"<= 1.05 on {within}/{n} (target: all).")
PY
