#!/usr/bin/env bash
# The optimal-error bound against known optimal errors, on tables no test uses: 12 with
# logistic labels (2 to 12 informative features, 3,000 to 10,000 rows) and 6 regression
# tables (2 to 20 informative features). For each: mlloop init, a linear run, mlloop diagnose
# --json; then the bound's lower end and estimate against the truth. The estimate before
# 2026-12-05 (Cover-Hart on the leave-one-out 1-NN error; the Gamma intercept itself) is
# recomputed from the same evidence, so both are compared on the same neighbours and folds.
#   bash bench/bound/run.sh          (about 2 minutes on 2 cores)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
B="$root/build/mlloop"
PY=/usr/bin/python3
[ -x "$B" ] || { echo "bound bench: $B is missing; build it first: bash scripts/build.sh" >&2; exit 2; }
work="$root/bench/out/bound"
rm -rf "$work"
mkdir -p "$work"
results="$work/results.jsonl"
: >"$results"
# kind rows informative noise_features scale
tables=("logistic 3000 2 4 3" "logistic 3000 4 4 3" "logistic 3000 6 6 3" "logistic 3000 8 4 3" "logistic 3000 12 4 3"
        "logistic 10000 4 10 3" "logistic 10000 8 4 3" "logistic 3000 4 4 6" "logistic 3000 8 4 6" "logistic 10000 6 4 6"
        "logistic 3000 3 10 1.5" "logistic 10000 10 0 2"
        "pairs 5000 2 3 0.3" "pairs 5000 6 4 0.3" "pairs 5000 8 0 0.2" "pairs 2000 10 10 0.3" "pairs 1000 4 2 0.5"
        "pairs 20000 8 0 0.2")
for t in "${tables[@]}"; do
  read -r kind rows inf noise scale <<<"$t"
  name="${kind}_${rows}_${inf}_${noise}_${scale}"
  csv="$work/$name.csv"
  optimal=$("$PY" "$here/gen.py" "$csv" "$kind" "$rows" "$inf" "$noise" "$scale" 1)
  "$B" init "$csv" --target y --dir "$work/p_$name" $([ "$kind" = pairs ] && echo "--task regression") >/dev/null
  "$B" train --dir "$work/p_$name" --model linear >/dev/null 2>&1
  "$B" diagnose --dir "$work/p_$name" --json 2>/dev/null |
    "$PY" -c '
import json, math, sys
d = json.load(sys.stdin); name, optimal = sys.argv[1], float(sys.argv[2])
ev = next(f["evidence"]["evidence"] for f in d["findings"] if f["code"] == "MLL-O01")
o = d["errors"]["optimal"]; high = o["high"]
if "loo_1nn_error" in ev:
    r = min(ev["loo_1nn_error"], 0.5)
    before_low = min((1 - math.sqrt(max(0.0, 1 - 2 * r))) / 2, high)
    before = (before_low + high) / 2
else:
    before_low = before = min(math.sqrt(max(0.0, ev["gamma_intercept"])), high)
print(json.dumps({"table": name, "optimal": optimal, "low": o["low"], "value": o["value"], "high": high,
                  "before_low": before_low, "before": before}))' "$name" "$optimal" >>"$results"
done
"$PY" - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| table | optimal | lower end (before) | lower end | estimate (before) | estimate | upper end |")
print("|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['table']} | {r['optimal']:.4f} | {r['before_low']:.4f} | {r['low']:.4f} | {r['before']:.4f} | {r['value']:.4f} | {r['high']:.4f} |")
for kind in ("logistic", "pairs"):
    k = [r for r in rows if r["table"].startswith(kind)]
    above_b = sum(r["before_low"] > r["optimal"] for r in k); above = sum(r["low"] > r["optimal"] for r in k)
    err_b = sum(abs(r["before"] - r["optimal"]) / r["optimal"] for r in k) / len(k)
    err = sum(abs(r["value"] - r["optimal"]) / r["optimal"] for r in k) / len(k)
    print(f"{kind}: {len(k)} tables; lower end above the optimum on {above_b} before, {above} now; "
          f"mean |estimate - optimum| / optimum {err_b:.0%} before, {err:.0%} now")
PY
