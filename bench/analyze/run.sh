#!/usr/bin/env bash
# Analysis benchmark: the time and peak memory of each analysis of `mlloop diagnose`, on a
# 20-feature binary table at 10k, 100k and 1M rows, each analysis in its own process
# (bench_analyze) under /usr/bin/time; at 100k rows, the leave-one-out 1-NN search of the
# bound against sklearn KNeighborsClassifier(algorithm="brute") on the same standardized
# matrix with the same 2 threads; and the whole diagnosis of a fresh 100k-row project.
#   bash bench/analyze/run.sh [SIZES="10000 100000 1000000"]
# Writes bench/out/analyze.jsonl and prints a markdown table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sizes="${1:-10000 100000 1000000}"
bash "$root/scripts/setup.sh" bench
B="$root/build/mlloop"
BA="$root/build/bench_analyze"
PY=/usr/bin/python3
for x in "$B" "$BA"; do [ -x "$x" ] || { echo "analyze bench: $x is missing; build it first: bash scripts/build.sh -DMLLOOP_BUILD_BENCH=ON" >&2; exit 2; }; done
out="$root/bench/out"
work="$out/analyze"
mkdir -p "$work"
results="$out/analyze.jsonl"
: >"$results"
export OMP_WAIT_POLICY=PASSIVE

timed() {  # timed NAME ROWS COMMAND...: runs it under /usr/bin/time, appends a JSON line
  local name="$1" rows="$2"
  shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out.json"
  read -r wall rss_kb <"$work/time"
  "$PY" - "$name" "$rows" "$wall" "$rss_kb" "$work/out.json" >>"$results" <<'PYEOF'
import json, sys
name, rows, wall, rss, path = sys.argv[1:]
r = json.load(open(path))
print(json.dumps({"analysis": name, "rows": int(rows), "seconds": r.get("seconds"), "wall": float(wall),
                  "peak_rss_mb": int(rss) / 1024, "detail": r}))
PYEOF
  tail -1 "$results" >&2
}

for n in $sizes; do
  csv="$work/data_$n.csv"
  [ -s "$csv" ] || "$PY" "$here/gen.py" "$csv" "$n"
  p="$work/p_$n"
  rm -rf "$p"
  "$B" -q init "$csv" --target y --dir "$p" >/dev/null
  for a in prepare bound knn1 memorization label_issues shift leakage learning_curve; do
    timed "$a" "$n" "$BA" "$p" "$a"
  done
  if [ "$n" = 100000 ]; then
    timed knn1_sklearn_brute "$n" "$PY" "$here/knn_peer.py" "$p" 2
    # The whole diagnosis of a fresh project: the setup runs (baseline, linear) are trained
    # first, and are not counted; nothing else is cached.
    "$B" -q train --dir "$p" --model baseline >/dev/null
    "$B" -q train --dir "$p" --model linear >/dev/null
    timed diagnose "$n" "$BA" "$p" diagnose
  fi
done

"$PY" - "$results" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| analysis | rows | seconds | peak RSS MB |")
print("|---|---:|---:|---:|")
for r in rows:
    print(f"| {r['analysis']} | {r['rows']:,} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} |")
knn = {r["analysis"]: r for r in rows if r["rows"] == 100000}
if "knn1" in knn and "knn1_sklearn_brute" in knn:
    print(f"\nleave-one-out 1-NN at 100k rows: mlloop {knn['knn1']['seconds']:.2f} s, sklearn brute "
          f"{knn['knn1_sklearn_brute']['seconds']:.2f} s: {knn['knn1_sklearn_brute']['seconds'] / knn['knn1']['seconds']:.2f}x faster (target >= 3x)")
if "diagnose" in knn:
    print(f"whole diagnosis of a 100k-row project: {knn['diagnose']['seconds']:.1f} s (target < 60 s)")
PYEOF
