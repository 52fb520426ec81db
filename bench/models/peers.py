#!/usr/bin/python3
"""The peers of mlloop's models, on exactly the rows of an mlloop project's frozen splits.

    /usr/bin/python3 bench/models/peers.py --project P --model linear|gbdt|mlp --params JSON
                                           [--dataset NAME] [--pair N]

Runs with Debian's /usr/bin/python3 (python3-sklearn, python3-xgboost, python3-pandas,
python3-numpy). It reads the project's data file, task and seed from P/mlloop.toml, the
row ids of each split from P/.mlloop/store.db, and rebuilds mlloop's preprocessing (fitted
on the train rows, like mlloop's Pipeline):

  - numeric columns: for gbdt the raw values with NaN; for linear and mlp the median of
    train imputed, then standardized with the train mean and (population) std;
  - a 0/1 missing-indicator column after a numeric or ordinal column missing in train;
  - text columns: for linear and mlp one-hot when they hold at most 16 levels in train
    (no indicator; missing is all zeros), otherwise frequency-ranked ordinal codes
    (standardized; missing and unseen take the mean); for gbdt always frequency-ranked
    ordinal codes, NaN when missing or unseen;
  - constant or always-missing columns, and columns unique per row (identifiers), dropped.

Peers, with the parameters of the mlloop run (--params, the run's "params" object):
  linear  sklearn LogisticRegression(solver="lbfgs", C) / Ridge(alpha=1/C);
  gbdt    xgboost.train, tree_method hist, nthread 2, the same eta, max_depth, ...; early
          stopping watches exactly mlloop's slice (10% of train drawn with mlloop's seeded
          mt19937-64 shuffle), and like mlloop evaluates train and that slice each round;
          prediction uses the best round, and with the run's `refit` (the default) those
          rounds are fitted again on every training row (the slice's rows last), as mlloop does;
  mlp     sklearn MLPClassifier / MLPRegressor: hidden_layer_sizes (width,)*depth, the same
          activation, solver adam, learning_rate_init lr, batch_size, max_iter epochs,
          alpha weight_decay, early_stopping on a 10% validation slice of train with
          n_iter_no_change patience and tol 0 (sklearn draws its own slice, and scores it
          by accuracy or R^2 where mlloop watches the loss); a regression target is
          standardized, as mlloop does (TransformedTargetRegressor). sklearn has no dropout:
          when the run has dropout > 0 the peer trains without it and lists it as
          "unmatched". Other optimizers, batch_norm and schedules are refused.

The timer covers what mlloop's run `seconds` covers: the fit (including building the
DMatrix) and the predictions and error on train (the rows fitted on), train_dev and dev.
Reading the CSV and the preprocessing are outside it. Prints one JSON line.
"""
import argparse
import json
import math
import os
import sqlite3
import sys
import time
import tomllib
import warnings

import numpy as np
import pandas as pd

MISSING = ["", "NA", "N/A", "NaN", "null", "?"]
MAX_ONEHOT = 16
MASK64 = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64, bit for bit (Matsumoto & Nishimura's MT19937-64)."""

    def __init__(self, seed: int):
        mt = [0] * 312
        mt[0] = seed & MASK64
        for i in range(1, 312):
            mt[i] = (6364136223846793005 * (mt[i - 1] ^ (mt[i - 1] >> 62)) + i) & MASK64
        self.mt, self.i = mt, 312

    def _twist(self):
        mt = self.mt
        upper, lower, a = 0xFFFFFFFF80000000, 0x7FFFFFFF, 0xB5026F5AA96619E9
        for i in range(312):
            x = (mt[i] & upper) | (mt[(i + 1) % 312] & lower)
            xa = x >> 1
            if x & 1:
                xa ^= a
            mt[i] = mt[(i + 156) % 312] ^ xa
        self.i = 0

    def __call__(self) -> int:
        if self.i >= 312:
            self._twist()
        x = self.mt[self.i]
        self.i += 1
        x ^= (x >> 29) & 0x5555555555555555
        x ^= (x << 17) & 0x71D67FFFEDA60000
        x ^= (x << 37) & 0xFFF7EEE000000000
        x ^= x >> 43
        return x & MASK64


def seeded_shuffle(v: list, seed: int) -> None:
    """mlloop's seeded_shuffle (src/split/splitter.cpp): Fisher-Yates with rejection."""
    rng = MT19937_64(seed)
    for i in range(len(v), 1, -1):
        limit = MASK64 - MASK64 % i
        x = rng()
        while x >= limit:
            x = rng()
        j = x % i
        v[i - 1], v[j] = v[j], v[i - 1]


def early_stopping_slice(train_ids: np.ndarray, seed: int):
    """mlloop's trainer: 10% of train, seeded with seed ^ 0x5EED5EED; both parts keep row order."""
    n = len(train_ids)
    if n < 50:
        return train_ids, train_ids[:0]
    order = list(range(n))
    seeded_shuffle(order, seed ^ 0x5EED5EED)
    in_es = np.zeros(n, dtype=bool)
    in_es[order[: max(1, n // 10)]] = True
    return train_ids[~in_es], train_ids[in_es]


class Preprocess:
    """mlloop's Pipeline (src/model/pipeline.cpp), fitted on the train rows."""

    def __init__(self, df: pd.DataFrame, train_idx: np.ndarray, target: str, standardize: bool):
        self.standardize = standardize
        self.plans = []
        tr = df.iloc[train_idx]
        n = len(tr)
        for name in df.columns:
            if name == target:
                continue
            col = df[name]
            v = tr[name]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                present = v.dropna().to_numpy(dtype=np.float32)
                if len(present) == 0 or present.min() == present.max():
                    continue
                is_int = np.all(np.floor(col.dropna().to_numpy()) == col.dropna().to_numpy())
                if is_int and len(present) == n and n > 20 and len(np.unique(present)) == n:
                    continue  # identifier
                med = np.float32(np.sort(present)[len(present) // 2])
                filled = np.where(np.isnan(v.to_numpy(dtype=np.float32)), med, v.to_numpy(dtype=np.float32)).astype(np.float64)
                mean = filled.mean()
                var = (filled * filled).mean() - mean * mean
                scale = math.sqrt(var) if var > 1e-24 else 1.0
                self.plans.append(dict(name=name, kind="numeric", indicator=len(present) < n, median=med,
                                       mean=np.float32(mean), scale=np.float32(scale)))
                continue
            text = col.astype("string")
            # levels in the order of first appearance in the file (mlloop's dictionary order),
            # then ranked by train frequency, ties by that order (a stable sort)
            first = {t: k for k, t in enumerate(pd.unique(text.dropna()))}
            counts = text.iloc[train_idx].dropna().value_counts()
            used = sorted(counts.index, key=lambda t: (-counts[t], first[t]))
            present = int(counts.sum())
            if len(used) <= 1:
                continue
            if len(used) == n and n > 20:
                continue  # identifier
            plan = dict(name=name, levels=list(used), indicator=present < n)
            plan["kind"] = "onehot" if standardize and len(used) <= MAX_ONEHOT else "ordinal"
            if plan["kind"] == "ordinal":
                codes = text.iloc[train_idx].map({t: k for k, t in enumerate(used)}).dropna().to_numpy(dtype=np.float64)
                mean = codes.mean()
                var = (codes * codes).mean() - mean * mean
                plan["mean"] = np.float32(mean)
                plan["scale"] = np.float32(math.sqrt(var) if var > 1e-24 else 1.0)
            self.plans.append(plan)
        self.width = sum(len(p["levels"]) if p["kind"] == "onehot" else 1 + p["indicator"] for p in self.plans)

    def transform(self, df: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
        part = df.iloc[idx]
        out = []
        for p in self.plans:
            if p["kind"] == "numeric":
                x = part[p["name"]].to_numpy(dtype=np.float32)
                miss = np.isnan(x)
                if self.standardize:
                    x = (np.where(miss, p["median"], x) - p["mean"]) / p["scale"]
                out.append(x.astype(np.float32))
                if p["indicator"]:
                    out.append(miss.astype(np.float32))
                continue
            text = part[p["name"]].astype("string")
            code = text.map({t: k for k, t in enumerate(p["levels"])}).to_numpy(dtype=np.float64, na_value=np.nan)
            if p["kind"] == "onehot":
                for k in range(len(p["levels"])):
                    out.append((code == k).astype(np.float32))
                continue
            miss = text.isna().to_numpy()
            if self.standardize:
                x = ((np.where(np.isnan(code), p["mean"], code) - p["mean"]) / p["scale"]).astype(np.float32)
            else:
                x = code.astype(np.float32)
            out.append(x)
            if p["indicator"]:
                out.append(miss.astype(np.float32))
        return np.ascontiguousarray(np.column_stack(out), dtype=np.float32)


def load_project(project: str):
    with open(os.path.join(project, "mlloop.toml"), "rb") as f:
        cfg = tomllib.load(f)
    con = sqlite3.connect(f"file:{os.path.join(project, '.mlloop', 'store.db')}?mode=ro", uri=True)
    splits = {}
    for split in ("train", "train_dev", "dev"):
        rows = con.execute("SELECT row_id FROM split_rows WHERE source = 'data' AND split = ? ORDER BY row_id", (split,))
        splits[split] = np.array([r[0] for r in rows], dtype=np.int64)
    con.close()
    return cfg, splits


def error(task: str, y: np.ndarray, out: np.ndarray) -> float:
    if task == "regression":
        return float(np.sqrt(np.mean((out.astype(np.float64) - y) ** 2)))
    return float(np.mean(out != y))


def classes_of(task, proba):
    return np.argmax(proba, axis=1)


def run_linear(task, p, X, y, parts):
    from sklearn.linear_model import LogisticRegression, Ridge

    t0 = time.perf_counter()
    if task == "regression":
        m = Ridge(alpha=1.0 / p["C"]).fit(X["train"], y["train"])
        errs = {s: error(task, y[s], m.predict(X[s])) for s in parts}
    else:
        m = LogisticRegression(solver="lbfgs", C=p["C"], max_iter=1000).fit(X["train"], y["train"])
        errs = {s: error(task, y[s], m.classes_[classes_of(task, m.predict_proba(X[s]))]) for s in parts}
    secs = time.perf_counter() - t0
    extra = {"iterations": int(np.max(m.n_iter_))} if task != "regression" else {}
    return "sklearn.LogisticRegression(lbfgs)" if task != "regression" else "sklearn.Ridge", secs, errs, extra


def run_gbdt(task, p, X, y, parts, n_classes, seed):
    import xgboost as xgb

    params = {"tree_method": "hist", "nthread": 2, "seed": seed % 2147483647, "verbosity": 0}
    if task == "regression":
        params["objective"] = "reg:squarederror"
    elif n_classes == 2:
        params.update(objective="binary:logistic", eval_metric="logloss")
    else:
        params.update(objective="multi:softprob", num_class=n_classes, eval_metric="mlogloss")
    for k in ("eta", "max_depth", "min_child_weight", "subsample", "colsample_bytree", "lambda", "alpha"):
        params[k] = p[k]
    patience = int(p["early_stopping"])
    t0 = time.perf_counter()
    dfit = xgb.DMatrix(X["train"], label=y["train"], missing=np.nan, nthread=2)
    evals = [(dfit, "train")]
    if patience > 0:
        evals.append((xgb.DMatrix(X["es"], label=y["es"], missing=np.nan, nthread=2), "valid"))
    bst = xgb.train(params, dfit, num_boost_round=int(p["rounds"]), evals=evals,
                    early_stopping_rounds=patience if patience > 0 else None, verbose_eval=False)
    best = bst.best_iteration + 1 if patience > 0 else bst.num_boosted_rounds()
    rounds_run = bst.num_boosted_rounds()
    if patience > 0 and p.get("refit", False):
        # As mlloop: the kept rounds fitted again on every training row, the slice's after the others.
        dall = xgb.DMatrix(np.vstack([X["train"], X["es"]]), label=np.concatenate([y["train"], y["es"]]),
                           missing=np.nan, nthread=2)
        bst = xgb.train(params, dall, num_boost_round=best, evals=[(dall, "train")], verbose_eval=False)
    errs = {}
    for s in parts:
        out = bst.predict(xgb.DMatrix(X[s], missing=np.nan, nthread=2), iteration_range=(0, best))
        if task == "regression":
            errs[s] = error(task, y[s], out)
        elif n_classes == 2:
            errs[s] = error(task, y[s], (out > 0.5).astype(np.int64))
        else:
            errs[s] = error(task, y[s], np.argmax(out, axis=1))
    secs = time.perf_counter() - t0
    return f"xgboost.train {xgb.__version__}", secs, errs, {"best_round": best, "rounds_run": rounds_run}


def run_mlp(task, p, X, y, parts, seed):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler

    if p["activation"] not in ("relu", "tanh"):
        raise SystemExit(f"peers.py: sklearn's MLP has no activation '{p['activation']}'")
    if p["optimizer"] != "adam" or p["batch_norm"] or p["schedule"] != "constant":
        raise SystemExit("peers.py: the sklearn peer covers optimizer adam, no batch_norm, constant schedule")
    # sklearn's MLP has no dropout: the peer trains without it, and says so.
    unmatched = [f"dropout={p['dropout']:g}"] if p["dropout"] else []
    # mlloop holds out 10% of train for its valid loss whatever the patience, and with
    # patience 0 trains every epoch, keeping the epoch of the best valid loss: the peer then
    # also holds out 10%, scores it every epoch, and never stops early.
    patience = int(p["patience"])
    epochs = int(p["epochs"])
    kw = dict(hidden_layer_sizes=(int(p["width"]),) * int(p["depth"]), activation=p["activation"], solver="adam",
              alpha=float(p["weight_decay"]), batch_size=int(p["batch_size"]), learning_rate_init=float(p["lr"]),
              max_iter=epochs, shuffle=True, random_state=seed % (2**32), early_stopping=True,
              validation_fraction=0.1, n_iter_no_change=patience if patience > 0 else epochs + 1, tol=0.0)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when max_iter ends the fit
        if task == "regression":
            m = TransformedTargetRegressor(regressor=MLPRegressor(**kw), transformer=StandardScaler())
            m.fit(X["train"], y["train"])
            net = m.regressor_
        else:
            m = MLPClassifier(**kw).fit(X["train"], y["train"])
            net = m
    errs = {s: error(task, y[s], m.predict(X[s])) for s in parts}
    secs = time.perf_counter() - t0
    peer = "sklearn.MLPRegressor" if task == "regression" else "sklearn.MLPClassifier"
    return peer, secs, errs, {"epochs_run": int(net.n_iter_), "unmatched": unmatched}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--project", required=True)
    ap.add_argument("--model", required=True, choices=["linear", "gbdt", "mlp"])
    ap.add_argument("--params", required=True, help="the mlloop run's params, as JSON")
    ap.add_argument("--dataset", default="")
    ap.add_argument("--pair", type=int, default=0)
    a = ap.parse_args()
    params = json.loads(a.params)
    cfg, splits = load_project(a.project)
    task, target, seed = cfg["task"]["kind"], cfg["data"]["target"], int(cfg["split"]["seed"])
    markers = cfg["data"].get("missing", MISSING)
    markers = sorted({m for t in markers for m in (t, t.lower(), t.upper(), t.capitalize())})
    df = pd.read_csv(cfg["data"]["path"], keep_default_na=False, na_values=markers, low_memory=False)

    standardize = a.model != "gbdt"
    pre = Preprocess(df, splits["train"], target, standardize)
    if task == "regression":
        yall = df[target].to_numpy(dtype=np.float64)
        n_classes = 0
    else:
        text = df[target].astype("string")
        classes = list(pd.unique(text.iloc[splits["train"]].dropna()))  # first seen in train, as mlloop
        yall = text.map({c: k for k, c in enumerate(classes)}).to_numpy(dtype=np.float64, na_value=np.nan)
        n_classes = len(classes)

    idx = dict(splits)
    if a.model == "gbdt" and int(params["early_stopping"]) > 0:  # 0: off, no slice (as mlloop)
        idx["train"], idx["es"] = early_stopping_slice(splits["train"], seed)
    X = {s: pre.transform(df, ids) for s, ids in idx.items()}
    y = {s: (yall[ids] if task == "regression" else yall[ids].astype(np.int64)) for s, ids in idx.items()}
    parts = ("train", "train_dev", "dev")

    if a.model == "linear":
        peer, secs, errs, extra = run_linear(task, params, X, y, parts)
    elif a.model == "gbdt":
        peer, secs, errs, extra = run_gbdt(task, params, X, y, parts, n_classes, seed)
    else:
        peer, secs, errs, extra = run_mlp(task, params, X, y, parts, seed)
    rec = {"impl": "peer", "peer": peer, "dataset": a.dataset, "model": a.model, "task": task, "pair": a.pair, "seconds": secs,
           "errors": errs, "features": int(X["train"].shape[1]), "fit_rows": int(X["train"].shape[0]),
           "dev_rows": int(len(idx["dev"]))}
    rec.update(extra)
    print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    sys.exit(main())
