#!/usr/bin/python3
"""The peer of bench_analyze's knn1: the leave-one-out nearest neighbour of every training
row of a project, with sklearn's KNeighborsClassifier(algorithm="brute"), on the same
standardized features mlloop's pipeline makes (bench/models/peers.py's Preprocess), with
the same number of threads. Prints {"seconds", "rows", "features"}.

    /usr/bin/python3 bench/analyze/knn_peer.py PROJECT THREADS
"""
import json
import os
import sys
import time

import pandas as pd
from sklearn.neighbors import KNeighborsClassifier

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from peers import Preprocess, load_project  # noqa: E402


def main() -> None:
    project, threads = sys.argv[1], int(sys.argv[2])
    cfg, splits = load_project(project)
    df = pd.read_csv(cfg["data"]["path"])
    target = cfg["data"]["target"]
    train = splits["train"]
    X = Preprocess(df, train, target, standardize=True).transform(df, train)
    y = df[target].to_numpy()[train]
    t0 = time.perf_counter()
    knn = KNeighborsClassifier(n_neighbors=1, algorithm="brute", n_jobs=threads).fit(X, y)
    knn.kneighbors(X, n_neighbors=2)  # itself, then its nearest other row
    print(json.dumps({"seconds": time.perf_counter() - t0, "rows": int(X.shape[0]), "features": int(X.shape[1])}))


if __name__ == "__main__":
    main()
