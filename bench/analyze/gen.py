#!/usr/bin/python3
"""Writes the table of bench/analyze, deterministically.

    /usr/bin/python3 bench/analyze/gen.py OUT.csv ROWS

20 numeric feature columns f00..f19 and a 0/1 target `y`: 6 informative features entering
the log-odds linearly and nonlinearly, 14 noise features (normal, uniform, heavy-tailed);
the label is drawn from the logistic of the log-odds, so the Bayes error is well above 0.
"""
import sys

import numpy as np


def main() -> None:
    out, rows = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(20261128)
    x = np.empty((rows, 20), dtype=np.float64)
    x[:, :6] = rng.standard_normal((rows, 6))
    x[:, 6:12] = rng.standard_normal((rows, 6))
    x[:, 12:16] = rng.uniform(-2, 2, (rows, 4))
    x[:, 16:20] = rng.standard_t(3, (rows, 4))
    logit = 1.3 * x[:, 0] - 1.0 * x[:, 1] + 0.8 * x[:, 2] * x[:, 3] + 1.2 * np.sin(2 * x[:, 4]) + 0.6 * x[:, 5] ** 2 - 0.6
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    order = rng.permutation(20)  # position says nothing
    with open(out, "w") as f:
        f.write(",".join(f"f{k:02d}" for k in range(20)) + ",y\n")
        fmt = ",".join(["%.5g"] * 20) + ",%d"
        np.savetxt(f, np.column_stack([x[:, order], y]), fmt=fmt)


if __name__ == "__main__":
    main()
