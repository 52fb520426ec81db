#!/usr/bin/env bash
# Ingest benchmark: generates a ~1 GB mixed CSV (once), then reads it with mlloop's reader
# and with pandas.read_csv, alternating, REPEATS times each, and prints medians and ratios.
#   bench/ingest/run.sh [MEGABYTES=1000] [REPEATS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mb="${1:-1000}"
repeats="${2:-3}"
bash "$root/scripts/setup.sh" bench
bash "$root/scripts/build.sh" -DMLLOOP_BUILD_BENCH=ON >/dev/null
out="$root/bench/out"
mkdir -p "$out"
csv="$out/ingest_${mb}mb.csv"
[ -f "$csv" ] || "$root/build/bench_gen_csv" "$csv" "$mb" 1
# Both readers read from the page cache: it is warmed before every run, as this machine's
# kernel pages cold memory out (DAMON's pageout scheme), page cache included, so a file left
# alone for the 20 s of a pandas run is partly on disk again.
: >"$out/ingest.jsonl"
for i in $(seq "$repeats"); do
  cat "$csv" >/dev/null
  "$root/build/bench_read_mlloop" "$csv" 2 | tee -a "$out/ingest.jsonl"
  cat "$csv" >/dev/null
  /usr/bin/python3 "$root/bench/ingest/read_pandas.py" "$csv" | tee -a "$out/ingest.jsonl"
done
/usr/bin/python3 - "$out/ingest.jsonl" "$csv" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
size = os.path.getsize(sys.argv[2])
def med(reader, key):
    return statistics.median(r[key] for r in rows if r["reader"] == reader)
print(f"\nfile: {size/1e6:.0f} MB, {rows[0]['rows']:,} rows x {rows[0]['cols']} columns; medians of {len(rows)//2} runs each")
print(f"{'reader':<8} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12} {'store MB':>9} {'RSS/store':>9}")
for r in ("mlloop", "pandas"):
    s = med(r, "seconds"); rss = med(r, "peak_rss_bytes"); st = med(r, "store_bytes")
    print(f"{r:<8} {s:8.2f} {size/1e6/s:8.0f} {rss/1e6:12.0f} {st/1e6:9.0f} {rss/st:9.2f}")
speed = med("pandas", "seconds") / med("mlloop", "seconds")
print(f"\nmlloop throughput / pandas: {speed:.1f}x (target >= 5x); "
      f"mlloop MB/s: {size/1e6/med('mlloop','seconds'):.0f} (target >= 400); "
      f"mlloop peak RSS / column store: {med('mlloop','peak_rss_bytes')/med('mlloop','store_bytes'):.2f} (target <= 2)")
PY
