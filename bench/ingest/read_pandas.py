"""Reads a CSV with pandas.read_csv and prints one JSON line like bench_read_mlloop.
Run with Debian's Python: /usr/bin/python3 (it has python3-pandas)."""
import json
import resource
import sys
import time

import pandas as pd

t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1])
s = time.perf_counter() - t0
print(json.dumps({"reader": "pandas", "seconds": s, "rows": len(df), "cols": df.shape[1],
                  "store_bytes": int(df.memory_usage(deep=True).sum()),
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
