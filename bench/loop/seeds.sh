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
        fresh = None
        if all(r[k].get("fresh") is not None for k in ("mlloop", "hgb", "optuna")):
            fresh = r["mlloop"]["fresh"] / min(r["hgb"]["fresh"], r["optuna"]["fresh"])
        by.setdefault(r["dataset"], []).append((m, h, o, ratio, r["mlloop"]["seconds"], fresh))
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
# The scenarios judged on fresh rows from their generator instead of their few test rows.
fresh = {ds: [x[5] for x in v if x[5] is not None] for ds, v in by.items()}
fresh = {ds: f for ds, f in fresh.items() if f}
if fresh:
    print("\nThe scenarios on fresh rows (the same rows for every system):")
    print("| dataset | median mlloop / best peer (fresh rows) | no worse on |")
    print("|---|---:|---:|")
    ok2 = within2 = 0
    for ds, v in by.items():
        if ds in fresh:
            ratio = statistics.median(fresh[ds])
            print(f"| {ds} | {ratio:.3f} | {sum(f <= 1.0 for f in fresh[ds])}/{len(fresh[ds])} |")
        else:
            ratio = statistics.median(x[3] for x in v)
        ok2 += ratio <= 1.0
        within2 += ratio <= 1.05
    print(f"\nWith the scenarios judged on fresh rows: median ratio <= 1 on {ok2}/{n} datasets ({100 * ok2 / n:.0f}%), <= 1.05 on {within2}/{n}.")
PY
