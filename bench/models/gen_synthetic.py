#!/usr/bin/python3
"""Writes the synthetic binary-classification table of bench/models, deterministically.

    /usr/bin/python3 bench/models/gen_synthetic.py OUT.csv [ROWS=200000]

50 feature columns f00..f49 and a 0/1 target `y`:
  - 10 informative features (normal), entering the log-odds linearly and nonlinearly
    (a product, a sine, a square, a threshold, a tanh of a product);
  - 5 redundant features: noisy linear mixes of the informative ones;
  - 35 noise features: normal, uniform, log-normal (heavy tail) and integer-valued;
  - 2% of the values missing (empty fields) in four columns, two informative, two noise.
The columns are shuffled (with the same seed) so that position says nothing. The label is
drawn from the logistic of the log-odds, so the Bayes error is well above 0 (about 14%).
The same ROWS always give the same bytes: numpy's PCG64 with a fixed seed.
"""
import sys

import numpy as np
import pandas as pd

SEED = 20261127


def make(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    inf = rng.standard_normal((rows, 10))
    x = inf
    logit = (
        1.2 * x[:, 0]
        - 0.9 * x[:, 1]
        + 0.8 * x[:, 2] * x[:, 3]
        + 1.1 * np.sin(2.0 * x[:, 4])
        + 0.6 * (x[:, 5] ** 2 - 1.0)
        + 1.0 * (np.abs(x[:, 6]) > 1.0)
        - 0.3
        - 0.6 * x[:, 7]
        + 0.9 * np.tanh(1.5 * x[:, 8] * x[:, 9])
    )
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-1.6 * logit))).astype(np.int64)
    mix = rng.standard_normal((10, 5))
    redundant = inf @ mix / np.sqrt(10.0) + 0.5 * rng.standard_normal((rows, 5))
    noise = np.column_stack(
        [
            rng.standard_normal((rows, 15)),
            rng.uniform(-3.0, 3.0, (rows, 8)),
            rng.lognormal(0.0, 1.0, (rows, 6)) * 100.0,
            rng.integers(0, 50, (rows, 6)).astype(np.float64),
        ]
    )
    feats = np.column_stack([inf, redundant, noise])
    for j in (1, 4, 20, 30):  # 2% missing in two informative and two noise columns
        feats[rng.random(rows) < 0.02, j] = np.nan
    order = rng.permutation(feats.shape[1])
    df = pd.DataFrame({f"f{k:02d}": feats[:, j] for k, j in enumerate(order)})
    df["y"] = y
    return df


def main() -> None:
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    df = make(rows)
    df.to_csv(out, index=False, float_format="%.6g")
    print(f"gen_synthetic: wrote {out}: {rows:,} rows x {df.shape[1]} columns, {df['y'].mean():.1%} positive")


if __name__ == "__main__":
    main()
