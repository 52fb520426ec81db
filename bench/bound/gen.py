#!/usr/bin/python3
"""Writes one table with a known optimal error, deterministically, for bench/bound.

    /usr/bin/python3 bench/bound/gen.py OUT.csv KIND ROWS INFORMATIVE NOISE_FEATURES SCALE SEED

KIND logistic: labels drawn from the logistic of a log-odds that sums a nonlinear term of
each informative feature (x, sin 2x, 0.6 x^2 - 0.6, |x| - 0.8, in turn), scaled by
SCALE / sqrt(INFORMATIVE); the Bayes error is the mean of min(p, 1 - p) over the rows.
KIND pairs: y = the sum over pairs (x_2j, x_2j+1) of the informative features of
sin(1.5 x_2j) x_2j+1, plus N(0, SCALE^2); the optimal RMSE is SCALE.
Prints the optimal error.
"""
import sys

import numpy as np


def main() -> None:
    out, kind = sys.argv[1], sys.argv[2]
    rows, inf, noise_feats, scale, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, inf + noise_feats))
    if kind == "logistic":
        terms = [lambda v: v, lambda v: np.sin(2 * v), lambda v: 0.6 * v**2 - 0.6, lambda v: np.abs(v) - 0.8]
        lo = sum(terms[j % 4](x[:, j]) for j in range(inf)) * scale / np.sqrt(inf)
        p = 1 / (1 + np.exp(-lo))
        y = (rng.uniform(size=rows) < p).astype(int)
        optimal = float(np.minimum(p, 1 - p).mean())
        fmt = ["%.5f"] * x.shape[1] + ["%d"]
    else:
        f = sum(np.sin(1.5 * x[:, j]) * x[:, j + 1] for j in range(0, inf - 1, 2))
        y = f + rng.normal(0, scale, rows)
        optimal = scale
        fmt = ["%.5f"] * (x.shape[1] + 1)
    header = ",".join([f"x{j}" for j in range(x.shape[1])] + ["y"])
    np.savetxt(out, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt=fmt)
    print(optimal)


if __name__ == "__main__":
    main()
