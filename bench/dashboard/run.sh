#!/usr/bin/env bash
# Dashboard benchmark: a project on the bundled credit_data.csv with its real runs (baseline,
# linear, a diagnosis) plus 10,000 synthetic runs in 500 iterations (bench_make_store), served by
# `mlloop dashboard`. While `mlloop run` works on the same store in another process (then
# `mlloop train`, should the loop stop first), 10,000 requests over the route mix of bench/dashboard/load.mjs go
# to the API, 8 at a time, and the same mix goes to a peer: Python's http.server serving
# copies of the same response bodies as static files (the cost of moving the bytes, with no
# query). Then Chromium opens the dashboard R times and the time to the first chart drawn is
# taken from the page. Prints per-route p50 / p99 and the ratios; writes
# bench/out/dashboard.json.
#   bash bench/dashboard/run.sh [REQUESTS=10000] [RUNS=10000]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
requests="${1:-10000}"
nruns="${2:-10000}"
bash "$root/scripts/setup.sh" test
B="$root/build/mlloop"
MS="$root/build/bench_make_store"
for x in "$B" "$MS"; do [ -x "$x" ] || { echo "dashboard bench: $x is missing; build it first: bash scripts/build.sh -DMLLOOP_BUILD_BENCH=ON" >&2; exit 2; }; done
shared="$(cd "$root/../shared" && pwd)"
work="$root/bench/out/dashboard"
rm -rf "$work"
mkdir -p "$work/static"
export OMP_WAIT_POLICY=PASSIVE
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

p="$work/p"
# A reference error below what credit_data allows keeps the loop finding avoidable bias, so it
# goes on training candidates while the load runs.
"$B" -q init "$shared/data/credit_data.csv" --target Status --dir "$p" --seed 7 --reference-error 0.05 >/dev/null
# The loop's setup runs (baseline, linear) and their diagnosis; the loop itself runs during
# the load, so its iterations are the writes the dashboard reads beside.
"$B" -q train --dir "$p" --model baseline >/dev/null
"$B" -q train --dir "$p" --model linear >/dev/null
"$B" -q diagnose --dir "$p" >/dev/null
"$MS" "$p" "$nruns" 7
# The synthetic iterations accepted nothing: without this the loop would stop at once on
# its plateau rule.
sed -i 's/^plateau = .*/plateau = 100000/; s/^tune_trials = .*/tune_trials = 40/' "$p/mlloop.toml"

"$B" dashboard --dir "$p" --port 0 >"$work/dashboard.out" 2>"$work/dashboard.err" &
pids+=($!)
for _ in $(seq 100); do grep -q http "$work/dashboard.out" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/dashboard.out")
# Warm the analyses (the first /api/diagnosis of an incumbent computes it, then it is cached).
for r in diagnosis predictions inspect/labels; do curl -sf "${url}api/$r" >/dev/null; done

# The peer: the same bodies, as files.
declare -A peer_paths=([summary]="api/summary" [status]="api/status" ["runs (page 1, by run)"]="api/runs?limit=50&sort=run&order=desc"
  ["runs (deep page, by dev)"]="api/runs?limit=50&sort=dev&offset=5000" ["runs/{id}"]="api/runs/5000" [iterations]="api/iterations"
  ["iterations/{i}"]="api/iterations/250" [diagnosis]="api/diagnosis" [predictions]="api/predictions" [inspect/labels]="api/inspect/labels")
i=0
: >"$work/static/map.tsv"
for name in "${!peer_paths[@]}"; do
  i=$((i + 1))
  curl -sf "${url}${peer_paths[$name]}" >"$work/static/r$i.json"
  printf '%s\t%s\n' "$name" "/r$i.json" >>"$work/static/map.tsv"
done
(cd "$work/static" && exec python3 -m http.server 0 --bind 127.0.0.1 >"$work/peer.out" 2>&1) &
pids+=($!)
for _ in $(seq 100); do grep -q "port" "$work/peer.out" && break; sleep 0.1; done
peer_port=$(grep -o 'port [0-9]*' "$work/peer.out" | head -1 | cut -d' ' -f2)

# The writer: `mlloop run` in another process, on the same store; should the loop stop
# before the load ends (no remedy left), `mlloop train` goes on recording runs.
iterations_before=$("$B" status --dir "$p" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['iterations'])")
( "$B" run --dir "$p" --iterations 100000 --time-budget 600s >"$work/loop.log" 2>&1
  while true; do "$B" -q train --dir "$p" --model linear --param "C=0.$((RANDOM % 9 + 1))" >/dev/null 2>&1 || true; done ) &
pids+=($!)
writer=$!
runs_before=$("$B" runs --dir "$p" --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")

node "$here/load.mjs" "$url" "$requests" 8 >"$work/load_mlloop.json"
node "$here/load.mjs" "http://127.0.0.1:$peer_port/" "$requests" 8 "$work/static/map.tsv" >"$work/load_peer.json"
kill "$writer" 2>/dev/null || true
pkill -P "$writer" 2>/dev/null || true
runs_after=$("$B" runs --dir "$p" --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
iterations_after=$("$B" status --dir "$p" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['iterations'])")
loop_end=$(grep -o 'stopped: [a-z_]*' "$work/loop.log" | head -1 || true)

node "$here/first_chart.mjs" "$url" 5 >"$work/first_chart.json"

python3 - "$work" "$runs_before" "$runs_after" "$root/bench/out/dashboard.json" "$iterations_before" "$iterations_after" "${loop_end:-still running}" <<'PYEOF'
import json, sys
work, before, after, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
it_before, it_after, loop_end = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
m = json.load(open(f"{work}/load_mlloop.json")); p = json.load(open(f"{work}/load_peer.json"))
fc = json.load(open(f"{work}/first_chart.json"))
print(f"store: {before} runs when the load began, {after} after: {after - before} written during it by another process")
print(f"the loop: {it_after - it_before} iterations finished during the load (loop {loop_end} when it ended)")
print(f"mlloop: {m['requests']} requests in {m['seconds']:.1f} s, concurrency {m['concurrency']}; peer: Python http.server, same bodies as files\n")
print("| route | requests | errors | p50 ms | p99 ms | peer p50 ms | peer p99 ms | p50 ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
errors = 0
for name, r in m["routes"].items():
    q = p["routes"].get(name, {})
    errors += r["errors"]
    ratio = r["p50_ms"] / q["p50_ms"] if q.get("p50_ms") else float("nan")
    print(f"| {name} | {r['count']} | {r['errors']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {q.get('p50_ms', 0):.2f} | {q.get('p99_ms', 0):.2f} | {ratio:.2f} |")
worst = max(r["p99_ms"] for r in m["routes"].values())
print(f"\nerrors: {errors}; worst p99 {worst:.1f} ms (target: every response under 100 ms)")
print(f"first chart drawn: median {fc['median_ms']:.0f} ms after navigation, of {len(fc['ms'])} loads (target: under 1 s)")
json.dump({"mlloop": m, "peer": p, "first_chart": fc, "runs_written_during_load": after - before,
           "iterations_during_load": it_after - it_before}, open(out, "w"), indent=1)
PYEOF
