#!/usr/bin/env bash
# The mlp pairs of bench/models over several seeds: the dev error of one seed on a small dev
# set is one draw (credit_data's dev set has 445 rows, so a row is 0.22 points), and the
# models issue's error target is better judged on the median of several. For each seed,
# `mlloop init --seed S` (a new split, and the seed of both sides' training), then the `mlp`
# pair (mlloop's defaults) and the `mlp_epochs` pair (same architecture and epochs, no
# dropout, no early stop), each side trained on exactly the same rows as in run.sh.
#   bash bench/models/seeds.sh [CSV TARGET [SEEDS]]   (default: credit_data.csv Status 7)
# Timings are printed but not the point: run.sh measures them on a quiet machine. run.sh calls
# this for each dataset whose dev split has fewer than 2,000 rows (SEEDS_WORK sets the folder;
# summary.json there holds the medians).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
csv="${1:-$root/../shared/data/credit_data.csv}"
target="${2:-Status}"
seeds="${3:-7}"
bash "$root/scripts/setup.sh" bench >/dev/null
B="${MLLOOP_BIN:-$root/build/mlloop}"  # run.sh passes its copy of the binary
PY=/usr/bin/python3
[ -x "$B" ] || { echo "seeds bench: $B is missing; build it first: bash scripts/build.sh" >&2; exit 2; }
[ -f "$csv" ] || { echo "seeds bench: no such file: $csv" >&2; exit 2; }
work="${SEEDS_WORK:-$root/bench/out/models_seeds}"
mkdir -p "$work"
results="$work/results.jsonl"
: >"$results"
for seed in $(seq "$seeds"); do
  project="$work/seed$seed"
  "$B" init "$csv" --target "$target" --dir "$project" --seed "$seed" --force >/dev/null
  for model in mlp mlp_epochs; do
    extra=()
    [ "$model" != mlp_epochs ] || extra=(--param dropout=0 --param patience=0)
    # A run that fails or diverges exits 1 and has no dev error: it is recorded and left out
    # of the medians, and the summary says how many.
    m="$("$B" train --dir "$project" --model mlp "${extra[@]}" --json)" || true
    if [ -z "$m" ] || ! echo "$m" | "$PY" -c 'import json, sys; sys.exit(0 if "dev" in json.load(sys.stdin).get("errors", {}) else 1)'; then
      printf '{"seed": %d, "model": "%s", "failed": true}\n' "$seed" "$model" >>"$results"
      continue
    fi
    params="$(echo "$m" | "$PY" -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["params"]))')"
    p="$("$PY" "$here/peers.py" --project "$project" --model mlp --params "$params" --dataset seeds --pair "$seed")"
    printf '{"seed": %d, "model": "%s", "mlloop": %s, "peer": %s}\n' "$seed" "$model" "$m" "$p" >>"$results"
  done
done
"$PY" - "$results" "$csv" "$work/summary.json" <<'PY'
import json, statistics, sys
all_rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in all_rows if not r.get("failed")]
summary = {}
if not rows:
    print("no seed gave an mlloop run with a dev error")
    json.dump(summary, open(sys.argv[3], "w"))
    sys.exit(0)
regression = rows[0]["peer"]["task"] == "regression"
print(f"{sys.argv[2]}: {len({r['seed'] for r in all_rows})} seeds (each its own split); dev error "
      f"{'(rmse)' if regression else '(error rate)'}, and seconds (fit + evaluation)")
print(f"{'model':<11} {'seed':>4} {'mlloop dev':>10} {'peer dev':>9} {'diff':>9} {'mlloop s':>9} {'peer s':>7}")
for model in ("mlp", "mlp_epochs"):
    rs = [r for r in rows if r["model"] == model]
    failed = sum(1 for r in all_rows if r["model"] == model and r.get("failed"))
    if failed:
        print(f"{model:<11} {failed} seed(s) failed or diverged in mlloop and are left out")
    if not rs:
        continue
    diffs = []
    for r in rs:
        md, pd = r["mlloop"]["errors"]["dev"], r["peer"]["errors"]["dev"]
        d = (md / pd - 1) * 100 if regression else (md - pd) * 100
        diffs.append(d)
        print(f"{model:<11} {r['seed']:>4} {md:10.4f} {pd:9.4f} {d:+8.2f}{'%' if regression else 'pp'} "
              f"{r['mlloop']['seconds']:9.2f} {r['peer']['seconds']:7.2f}")
    med_m = statistics.median(r["mlloop"]["errors"]["dev"] for r in rs)
    med_p = statistics.median(r["peer"]["errors"]["dev"] for r in rs)
    med_d = statistics.median(diffs)
    limit = 2.0 if regression else 0.5
    unit = "%" if regression else "pp"
    print(f"{model:<11} median dev: mlloop {med_m:.4f}, peer {med_p:.4f}; median per-seed difference "
          f"{med_d:+.2f}{unit} (target <= +{limit}{unit}: {'met' if med_d <= limit else 'MISS'}); "
          f"mlloop better on {sum(d < 0 for d in diffs)}, equal on {sum(d == 0 for d in diffs)}, "
          f"worse on {sum(d > 0 for d in diffs)} of {len(diffs)}")
    summary[model] = {"seeds": len(diffs), "median_mlloop": med_m, "median_peer": med_p, "median_diff": med_d,
                      "unit": unit, "limit": limit, "better": sum(d < 0 for d in diffs),
                      "worse": sum(d > 0 for d in diffs), "failed": failed}
json.dump(summary, open(sys.argv[3], "w"), indent=1)
PY
