#!/usr/bin/python3
"""The loop benchmark's peers, on exactly the rows of an mlloop project's frozen splits.

    /usr/bin/python3 bench/loop/peers.py --project P --budget SECONDS --peer hgb|optuna

Data rows only (scenarios with their own dev/test files are skipped by run.sh). Features
are built like mlloop's tree pipeline (bench/models/peers.py's Preprocess: raw numbers with
NaN, ordinal codes for text). Both peers fit on the train split:
  hgb     sklearn HistGradientBoostingClassifier / Regressor with defaults;
  optuna  Optuna TPE (seeded) over XGBoost (hist, 2 threads): eta, max_depth,
          min_child_weight, subsample, colsample_bytree, lambda, n_rounds; each trial scored
          on dev; trials run until the wall budget is spent; the best trial's model is kept.
Each prints one JSON line: dev and test error (error rate or RMSE), wall seconds, peak RSS,
and for optuna the seconds at which its best dev error first reached --target-dev (the
HistGradientBoosting default's dev error), when given. With --fresh FILE (a scenario's fresh
rows from its generator), the final model's error on those rows too ("fresh").
"""
import argparse
import json
import os
import resource
import sqlite3
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from peers import MISSING, Preprocess, error, load_project  # noqa: E402


def test_rows(project):
    con = sqlite3.connect(f"file:{os.path.join(project, '.mlloop', 'store.db')}?mode=ro", uri=True)
    rows = con.execute("SELECT row_id FROM split_rows WHERE source = 'data' AND split = 'test' ORDER BY row_id")
    out = np.array([r[0] for r in rows], dtype=np.int64)
    con.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--project", required=True)
    ap.add_argument("--budget", type=float, required=True)
    ap.add_argument("--peer", required=True, choices=["hgb", "optuna"])
    ap.add_argument("--target-dev", type=float, default=None)
    ap.add_argument("--fresh", default=None)
    a = ap.parse_args()
    t_start = time.perf_counter()
    cfg, splits = load_project(a.project)
    splits["test"] = test_rows(a.project)
    task, target, seed = cfg["task"]["kind"], cfg["data"]["target"], int(cfg["split"]["seed"])
    markers = cfg["data"].get("missing", MISSING)
    markers = sorted({m for t in markers for m in (t, t.lower(), t.upper(), t.capitalize())})
    df = pd.read_csv(cfg["data"]["path"], keep_default_na=False, na_values=markers, low_memory=False)
    pre = Preprocess(df, splits["train"], target, False)
    if task == "regression":
        yall = df[target].to_numpy(dtype=np.float64)
        n_classes = 0
    else:
        text = df[target].astype("string")
        classes = list(pd.unique(text.iloc[splits["train"]].dropna()))
        yall = text.map({c: k for k, c in enumerate(classes)}).to_numpy(dtype=np.float64, na_value=np.nan)
        n_classes = len(classes)
    X = {s: pre.transform(df, ids) for s, ids in splits.items()}
    y = {s: yall[ids] for s, ids in splits.items()}
    if a.fresh:
        fresh = pd.read_csv(a.fresh, keep_default_na=False, na_values=markers, low_memory=False)
        X["fresh"] = pre.transform(fresh, np.arange(len(fresh)))
        if task == "regression":
            y["fresh"] = fresh[target].to_numpy(dtype=np.float64)
        else:
            y["fresh"] = fresh[target].astype("string").map({c: k for k, c in enumerate(classes)}).to_numpy(dtype=np.float64, na_value=np.nan)
    if task != "regression":
        y = {s: np.nan_to_num(v, nan=-1).astype(np.int64) for s, v in y.items()}

    rec = {"peer": a.peer, "project": a.project}
    if a.peer == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        m = (HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier)(random_state=seed)
        m.fit(X["train"], y["train"])
        rec["dev"] = error(task, y["dev"], m.predict(X["dev"]))
        rec["test"] = error(task, y["test"], m.predict(X["test"]))
        if a.fresh:
            rec["fresh"] = error(task, y["fresh"], m.predict(X["fresh"]))
    else:
        import optuna
        import xgboost as xgb
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.filterwarnings("ignore")
        dtrain = xgb.DMatrix(X["train"], label=y["train"], nthread=2)
        ddev = xgb.DMatrix(X["dev"], nthread=2)
        deadline = t_start + a.budget
        best = {"dev": float("inf"), "booster": None, "reached": None}

        def objective(trial):
            p = {"tree_method": "hist", "nthread": 2, "seed": seed, "verbosity": 0,
                 "eta": trial.suggest_float("eta", 0.01, 0.3, log=True),
                 "max_depth": trial.suggest_int("max_depth", 2, 10),
                 "min_child_weight": trial.suggest_float("min_child_weight", 0.5, 20, log=True),
                 "subsample": trial.suggest_float("subsample", 0.5, 1.0),
                 "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
                 "lambda": trial.suggest_float("lambda", 0.1, 20, log=True)}
            rounds = trial.suggest_int("rounds", 50, 800, log=True)
            if task == "regression":
                p["objective"] = "reg:squarederror"
            elif n_classes == 2:
                p["objective"] = "binary:logistic"
            else:
                p["objective"], p["num_class"] = "multi:softprob", n_classes
            bst = xgb.train(p, dtrain, num_boost_round=rounds)
            out = bst.predict(ddev)
            if task == "regression":
                pred = out
            elif n_classes == 2:
                pred = (out > 0.5).astype(np.int64)
            else:
                pred = out.argmax(axis=1)
            e = error(task, y["dev"], pred)
            if e < best["dev"]:
                best.update(dev=e, booster=bst, n=n_classes)
                if a.target_dev is not None and best["reached"] is None and e <= a.target_dev:
                    best["reached"] = time.perf_counter() - t_start
            return e

        study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
        while time.perf_counter() < deadline:
            study.optimize(objective, n_trials=1)
        out = best["booster"].predict(xgb.DMatrix(X["test"], nthread=2))
        pred = out if task == "regression" else ((out > 0.5).astype(np.int64) if n_classes == 2 else out.argmax(axis=1))
        rec.update(dev=best["dev"], test=error(task, y["test"], pred), trials=len(study.trials), reached_target_at=best["reached"])
        if a.fresh:
            out = best["booster"].predict(xgb.DMatrix(X["fresh"], nthread=2))
            pred = out if task == "regression" else ((out > 0.5).astype(np.int64) if n_classes == 2 else out.argmax(axis=1))
            rec["fresh"] = error(task, y["fresh"], pred)
    rec["seconds"] = time.perf_counter() - t_start
    rec["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    sys.exit(main())
