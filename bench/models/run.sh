#!/usr/bin/env bash
# Models benchmark: mlloop's linear, gbdt and mlp against their Python peers (sklearn
# LogisticRegression / Ridge, xgboost.train, sklearn MLPClassifier / MLPRegressor), on the
# same machine in the same run, on exactly the rows of each project's frozen splits.
#   bash bench/models/run.sh [--quick]
# MODELS="linear mlp" (say) limits the run to those entries; by default linear, gbdt, mlp and
# mlp_epochs. mlp runs mlloop's defaults against the peer given the same parameters (each side
# stops early by its own rule: valid log loss for mlloop, valid accuracy for sklearn; sklearn
# has no dropout). mlp_epochs is the like-for-like pair the models issue asks for: the same
# architecture and the same epochs, mlloop with --param dropout=0 --param patience=0 (every
# epoch trained, 10% of train held out and scored each epoch, the best epoch kept) and the
# peer likewise (early_stopping with the same 10% and a patience past the last epoch).
# Full: a 200,000 x 50 synthetic binary table (generated once into bench/out/), credit_data
# (Status, binary) and diamonds (price, regression); 5 alternating gbdt pairs, 3 linear pairs,
# 1 mlp pair per dataset; an entry whose first mlloop run took under a second gets 11 pairs.
# --quick: a 20,000-row synthetic table and 1 pair of each.
# Uses the already built build/mlloop (scripts/build.sh builds it) and Debian's /usr/bin/python3.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
quick=0
case "${1:-}" in
  "") ;;
  --quick) quick=1 ;;
  *) echo "usage: bash bench/models/run.sh [--quick]" >&2; exit 2 ;;
esac
bash "$root/scripts/setup.sh" bench
data_dir="$(cd "$root/../shared/data" && pwd)"
B="$root/build/mlloop"
PY=/usr/bin/python3
[ -x "$B" ] || { echo "models bench: $B is missing; build it first: bash scripts/build.sh" >&2; exit 2; }

if ((quick)); then
  rows=20000; pairs_linear=1; pairs_gbdt=1; pairs_mlp=1; pairs_mlp_epochs=1; tag=models_quick
else
  rows=200000; pairs_linear=3; pairs_gbdt=5; pairs_mlp=1; pairs_mlp_epochs=1; tag=models
  short_pairs=11  # for an entry whose first mlloop run took under a second
fi
out="$root/bench/out"
work="$out/$tag"
mkdir -p "$work"
rm -rf "$work"/seeds_*  # the seed runs of an earlier run must not be read as this one's
# A copy of build/mlloop (and of its mlp plugin, found beside the executable first) taken
# now, so that a rebuild during the run cannot mix two builds.
rm -f "$work/mlloop" "$work/libmlloop_mlp.so"
cp "$B" "$work/mlloop"
[ ! -f "$root/build/libmlloop_mlp.so" ] || cp "$root/build/libmlloop_mlp.so" "$work/"
B="$work/mlloop"
{
  echo "binary: build/mlloop of $(date -r "$root/build/mlloop" '+%Y-%m-%d %H:%M'), sha256 $(sha256sum "$B" | cut -c1-12)$(
    [ ! -f "$work/libmlloop_mlp.so" ] || echo "; libmlloop_mlp.so sha256 $(sha256sum "$work/libmlloop_mlp.so" | cut -c1-12)")"
  echo "source: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') with $(git -C "$root" status --porcelain 2>/dev/null | grep -vc '^?? bench/' || true) modified file(s)"
} >"$work/provenance.txt"
synth="$out/synthetic_${rows}x50.csv"
[ -f "$synth" ] || "$PY" "$here/gen_synthetic.py" "$synth" "$rows"
results="$out/$tag.jsonl"
: >"$results"

# The machine may be shared, and OpenMP code (XGBoost, libtorch, OpenBLAS) slows down many
# times over when another process holds a core. Before each measurement, wait (up to
# QUIET_WAIT seconds, default 900) until the CPUs are idle (< 0.3 of a core busy over a
# second, from /proc/stat). During it, the machine's CPU time minus the measured process's
# (from /usr/bin/time) is what others used; a measurement during which they used >= 0.3 cores
# on average (and >= 0.05 core-seconds) is repeated, up to 3 attempts. All this is recorded.
quiet_wait="${QUIET_WAIT:-900}"
hz=$(getconf CLK_TCK)
stat_busy() { awk '/^cpu /{ print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
busy_cores() {  # cores busy over the next second
  local a b
  a=$(stat_busy); sleep 1; b=$(stat_busy)
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { split(a, x, " "); split(b, y, " ");
    t = y[2] - x[2]; printf "%.2f", (t > 0 ? n * (y[1] - x[1]) / t : 0) }'
}
wait_quiet() {
  local t0=$SECONDS c
  while c=$(busy_cores); awk -v c="$c" 'BEGIN { exit !(c >= 0.3) }' && ((SECONDS - t0 < quiet_wait)); do sleep 4; done
  awk -v c="$c" 'BEGIN { exit !(c >= 0.3) }' &&
    echo "models bench: other processes still keep $c cores busy after ${quiet_wait}s; measuring anyway" >&2
  echo "$c"
}
# measure OUT CMD...: runs CMD (stdout to OUT) as above; sets m_rc, m_wall, m_before, m_others, m_attempts.
measure() {
  local out=$1 s0 s1 t0 t1 cpu
  shift
  for m_attempts in 1 2 3; do
    m_before=$(wait_quiet)
    m_rc=0
    s0=$(stat_busy)
    t0=$EPOCHREALTIME
    /usr/bin/time -f "%U %S" -o "$work/cpu.txt" "$@" >"$out" || m_rc=$?
    t1=$EPOCHREALTIME
    s1=$(stat_busy)
    cpu=$(tail -n 1 "$work/cpu.txt")
    m_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
    m_others=$(awk -v a="$s0" -v b="$s1" -v c="$cpu" -v w="$m_wall" -v hz="$hz" 'BEGIN { split(a, x, " "); split(b, y, " ");
      split(c, u, " "); o = ((y[1] - x[1]) / hz - u[1] - u[2]) / w; printf "%.2f", (o > 0 ? o : 0) }')
    # (with 1/CLK_TCK s accounting, a short run needs 0.05 core-seconds of others to count)
    awk -v o="$m_others" -v w="$m_wall" 'BEGIN { exit !(o >= 0.3 && o * w >= 0.05) }' || return 0
    echo "models bench: other processes kept $m_others cores busy during attempt $m_attempts of: ${*:1:6}" >&2
  done
}

# One side of a pair, for the entry and pair the loops below are at.
run_mlloop() {  # the run's own `seconds` (fit + evaluation) and the whole command's wall time
  measure "$work/last_run.json" "$B" train --dir "$project" --model "$family" "${extra[@]}" --json
  run_json="$(cat "$work/last_run.json")"
  [ -n "$run_json" ] || { echo "models bench: mlloop train --model $model on $name printed nothing (exit $m_rc)" >&2; exit 1; }
  printf '{"impl":"mlloop","dataset":"%s","model":"%s","pair":%d,"wall":%s,"exit":%d,"busy_before":%s,"others":%s,"attempts":%d,"project":"%s","run":%s}\n' \
    "$name" "$model" "$pair" "$m_wall" "$m_rc" "$m_before" "$m_others" "$m_attempts" "$project" "$run_json" >>"$results"
  params="$("$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["params"]))' <"$work/last_run.json")"
}
run_peer() {  # given the params of the entry's mlloop run (the same in every pair)
  measure "$work/last_peer.json" "$PY" "$here/peers.py" --project "$project" --model "$family" --params "$params" \
    --dataset "$name" --pair "$pair"
  ((m_rc == 0)) || { echo "models bench: peers.py failed (exit $m_rc)" >&2; exit 1; }
  peer_json="$(cat "$work/last_peer.json")"
  peer_json="${peer_json/\"model\": \"$family\"/\"model\": \"$model\"}"
  echo "${peer_json%\}}, \"wall\": $m_wall, \"busy_before\": $m_before, \"others\": $m_others, \"attempts\": $m_attempts}" \
    >>"$results"
}

datasets=("synthetic|$synth|y" "credit|$data_dir/credit_data.csv|Status" "diamonds|$data_dir/diamonds.csv|price")
for entry in "${datasets[@]}"; do
  IFS='|' read -r name csv target <<<"$entry"
  project="$work/$name"
  "$B" init "$csv" --target "$target" --dir "$project" --force >"$work/$name.init.txt" 2>&1
  # On a dev split under 2,000 rows, one seed's mlp dev error is one noisy draw (a row is over
  # 0.05 points, and seeds move it by a point or two): the mlp pairs' error is judged on the
  # median over 7 seeds (seeds.sh), each its own split. The time is still this split's pair.
  dev_rows=$("$B" status --dir "$project" --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["rows"]["dev"])')
  if ((dev_rows < 2000)) && [[ " ${MODELS:-linear gbdt mlp mlp_epochs} " == *" mlp"* ]]; then
    SEEDS_WORK="$work/seeds_$name" MLLOOP_BIN="$B" bash "$here/seeds.sh" "$csv" "$target" 7 >"$work/seeds_$name.txt" ||
      echo "models bench: seeds.sh failed on $name (see $work/seeds_$name.txt); its error is judged on this split" >&2
    sed "s/^/$name seeds: /" "$work/seeds_$name.txt" | grep "median dev" || true
  fi
  cat "$csv" >/dev/null  # warm the page cache for both sides alike
  for model in ${MODELS:-linear gbdt mlp mlp_epochs}; do
    pairs_var="pairs_$model"
    family=$model extra=()
    [ "$model" != mlp_epochs ] || { family=mlp; extra=(--param dropout=0 --param patience=0); }
    n_pairs=${!pairs_var} pair=0
    while ((pair < n_pairs)); do
      pair=$((pair + 1))
      # The order alternates between pairs (mlloop first in odd pairs, the peer first in even
      # ones), so a machine that speeds up or slows down steadily favours neither side.
      if ((pair % 2 == 1)); then run_mlloop; run_peer; else run_peer; run_mlloop; fi
      "$PY" - "$results" <<'PY'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-2:]
m, p = sorted(last, key=lambda r: r["impl"] != "mlloop")
r = m["run"]
print(f"{m['dataset']:<9} {m['model']:<6} pair {m['pair']}: mlloop {r['seconds']:7.2f} s (command {m['wall']:7.2f} s), "
      f"dev {r['errors'].get('dev', float('nan')):.4f} [{r['status']}] | {p['peer']} {p['seconds']:7.2f} s, dev {p['errors']['dev']:.4f}"
      f"  (others busy: {m['others']:.2f} / {p['others']:.2f} cores)", flush=True)
PY
      # Runs under a second are a few scheduler slices: one slow start moves a 5-pair median
      # (credit's gbdt: 70 ms runs, per-pair ratios from 0.75 to 1.25). Such an entry gets
      # short_pairs pairs (unless --quick); its median is then the steadier figure.
      # (A failed run is no reason for more pairs.)
      if ((pair == 1 && quick == 0)) && "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1]))
sys.exit(r["seconds"] >= 1 or r["status"] not in ("done", "stopped"))' "$work/last_run.json"; then
        ((n_pairs >= short_pairs)) || n_pairs=$short_pairs
      fi
    done
  done
done

"$PY" - "$results" "$quick" "$work/provenance.txt" <<'PY'
import json, os, platform, sqlite3, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1])]
quick = sys.argv[2] == "1"
provenance = open(sys.argv[3]).read().strip()
med = statistics.median

def curve_steps(project, run):
    """(points on the training curve, the kept round / epoch) of an mlloop run, from its store."""
    con = sqlite3.connect(f"file:{os.path.join(project, '.mlloop', 'store.db')}?mode=ro", uri=True)
    pts = con.execute("SELECT step, value FROM metrics WHERE run_id = ? AND split = 'es' AND step IS NOT NULL "
                      "ORDER BY step", (run,)).fetchall()
    con.close()
    if not pts:
        return None, None
    best = min(pts, key=lambda p: p[1])[0]
    return len(pts), best

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 2**20
print(f"\nmachine: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB; {platform.platform()}")
print(provenance)
print("mlloop s = the run's `seconds` (fit + evaluation on train, train-dev and dev); command s = the whole "
      "`mlloop train` (read the CSV, preprocess, fit, evaluate, store); peer s = fit + predict on train, train-dev "
      "and dev. Ratios are medians of the per-pair ratios mlloop / peer. dev error: error rate (classification) "
      "or RMSE (regression), on the same dev rows.\n")
head = (f"{'dataset':<9} {'model':<6} {'peer':<34} {'n':>2} {'mlloop s':>9} {'command s':>9} {'peer s':>8} "
        f"{'ratio':>6} {'cmd ratio':>9} {'mlloop dev':>10} {'peer dev':>9} {'diff':>8}  {'steps (mlloop / peer)':<22} targets")
print(head)
print("-" * len(head))
verdicts, notes = [], []
for ds in dict.fromkeys(r["dataset"] for r in rows):
    for model in ("linear", "gbdt", "mlp", "mlp_epochs"):
        ms = [r for r in rows if r["dataset"] == ds and r["model"] == model and r["impl"] == "mlloop"]
        ps = [r for r in rows if r["dataset"] == ds and r["model"] == model and r["impl"] == "peer"]
        if not ms or not ps:
            continue
        pairs = list(zip(ms, ps))
        bad = [m for m in ms if m["run"]["status"] not in ("done", "stopped")]
        run_s = med(m["run"]["seconds"] for m in ms)
        cmd_s = med(m["wall"] for m in ms)
        peer_s = med(p["seconds"] for p in ps)
        ratio = med(m["run"]["seconds"] / p["seconds"] for m, p in pairs)
        cmd_ratio = med(m["wall"] / p["seconds"] for m, p in pairs)
        regression = ps[0]["task"] == "regression"
        m_dev = med(m["run"]["errors"].get("dev", float("nan")) for m in ms)
        p_dev = med(p["errors"]["dev"] for p in ps)
        if regression:
            diff = f"{(m_dev / p_dev - 1) * 100:+.1f}%"
            err_ok = m_dev <= 1.02 * p_dev
        else:
            diff = f"{(m_dev - p_dev) * 100:+.2f}pp"
            err_ok = m_dev - p_dev <= 0.005
        n_pts, kept = curve_steps(ms[-1]["project"], ms[-1]["run"]["run"])
        if model == "gbdt":
            steps = f"{kept}/{n_pts} r; {ps[-1]['best_round']}/{ps[-1]['rounds_run']} r"
        elif model.startswith("mlp"):
            steps = f"{n_pts} ep; {ps[-1]['epochs_run']} ep"
        else:
            steps = f"-; {ps[-1]['iterations']} it" if "iterations" in ps[-1] else "-"
        for u in ps[-1].get("unmatched", []):
            notes.append(f"{ds}/{model}: the peer has no {u.split('=')[0]}; mlloop ran with {u}, the peer without")
        seeds_file = os.path.join(os.path.dirname(sys.argv[3]), f"seeds_{ds}", "summary.json")
        seeds = json.load(open(seeds_file)).get(model) if model.startswith("mlp") and os.path.exists(seeds_file) else None
        if seeds:
            err_ok = seeds["median_diff"] <= seeds["limit"]
            notes.append(f"{ds}/{model}: error judged over {seeds['seeds']} seeds (dev < 2,000 rows"
                         f"{'; ' + str(seeds['failed']) + ' more failed in mlloop' if seeds.get('failed') else ''}): median "
                         f"per-seed difference {seeds['median_diff']:+.2f}{seeds['unit']}, mlloop better on "
                         f"{seeds['better']}, worse on {seeds['worse']} (this split alone: {diff})")
        time_ok = ratio <= 1.0
        marks = [f"time {'ok' if time_ok else 'MISS'}", f"error {'ok' if err_ok else 'MISS'}{' (7 seeds)' if seeds else ''}"]
        if model == "gbdt":
            marks.append(f"<=1.05x {'ok' if ratio <= 1.05 else 'MISS'}")
        if bad:
            marks.append(f"{len(bad)} run(s) {bad[0]['run']['status']}")
        verdicts.append((ds, model, time_ok, err_ok, ratio))
        print(f"{ds:<9} {model:<6} {ps[0]['peer'][:34]:<34} {len(pairs):>2} {run_s:9.2f} {cmd_s:9.2f} {peer_s:8.2f} "
              f"{ratio:6.2f} {cmd_ratio:9.2f} {m_dev:10.4f} {p_dev:9.4f} {diff:>8}  {steps:<22} {', '.join(marks)}")
for n in notes:
    print(f"note: {n}")
print("\nsteps: gbdt kept round / rounds run (r); mlp epochs run (ep); linear: lbfgs iterations (it) of the peer.")
print("mlp_epochs: same architecture and epochs on both sides, no dropout, no early stop (see run.sh).")
print("targets: never slower than the peer (ratio <= 1.00); dev error at most 0.5 points worse (classification) or "
      "2% higher RMSE (regression); gbdt median ratio <= 1.05x xgboost.train.")
busy = [r for r in rows if (r["others"] >= 0.3 and r["others"] * r["wall"] >= 0.05) or r["busy_before"] >= 0.3]
retried = sum(r["attempts"] > 1 for r in rows)
worst = max(r["others"] for r in rows)
if busy:
    print(f"WARNING: other processes kept >= 0.3 cores busy before or during {len(busy)} of {len(rows)} measurements "
          f"(the machine is shared): " + ", ".join(f"{r['dataset']}/{r['model']}/{r['impl']}#{r['pair']} "
                                                    f"{max(r['others'], r['busy_before']):.1f}" for r in busy))
else:
    print(f"other processes used under 0.3 cores before and during every measurement (at most {worst:.2f}, "
          f"counting 1/{os.sysconf('SC_CLK_TCK')} s ticks); "
          f"{retried} measurement(s) were repeated because they were disturbed")
t_miss = [f"{d}/{m} {r:.2f}x" for d, m, t, e, r in verdicts if not t]
e_miss = [f"{d}/{m}" for d, m, t, e, r in verdicts if not e]
g_miss = [f"{d} {r:.2f}x" for d, m, t, e, r in verdicts if m == "gbdt" and r > 1.05]
t_miss_named = [x for x, (d, m, t, e, r) in zip(t_miss, [v for v in verdicts if not v[2]]) if m != "mlp"]
print(f"time  : the pairs the models issue names (linear, gbdt, mlp_epochs: the same architecture and epochs): "
      f"{'met everywhere' if not t_miss_named else 'not met: ' + ', '.join(t_miss_named)}")
print(f"time, every row (the mlp rows with each side's own early stopping too): "
      f"{'met everywhere' if not t_miss else 'not met: ' + ', '.join(t_miss)}")
print(f"error : {'met everywhere' if not e_miss else 'not met: ' + ', '.join(e_miss)}")
print(f"gbdt  : {'met everywhere' if not g_miss else 'not met: ' + ', '.join(g_miss)}")
if quick:
    print("(--quick: a 20,000-row synthetic table and one pair each; run without --quick for the figures)")
PY
