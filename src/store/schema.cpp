// The store's schema, as a list of migrations. Never edit a released migration: add one.
#include "mlloop/store/store.hpp"

namespace mlloop {

const std::vector<std::string>& store_migrations() {
  static const std::vector<std::string> migrations = {
      // 0 -> 1: the first schema.
      R"sql(
CREATE TABLE project (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE data_files (
  role  TEXT PRIMARY KEY,          -- data | dev | test
  path  TEXT NOT NULL,
  hash  TEXT NOT NULL,             -- XXH3-64 of the file's bytes
  bytes INTEGER NOT NULL,
  rows  INTEGER NOT NULL
);
CREATE TABLE split_rows (          -- the frozen manifest: which row of which file is in which split
  source TEXT NOT NULL,            -- data | dev | test
  row_id INTEGER NOT NULL,
  split  TEXT NOT NULL CHECK (split IN ('train','train_dev','dev','test')),
  PRIMARY KEY (source, row_id)
) WITHOUT ROWID;
CREATE INDEX split_rows_by_split ON split_rows(split);
CREATE TABLE rejected_rows (
  source TEXT NOT NULL,
  kind   TEXT NOT NULL,            -- bad_row | missing_target
  line   INTEGER NOT NULL,
  row_id INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  model         TEXT NOT NULL,
  params        TEXT NOT NULL,     -- JSON
  config        TEXT NOT NULL,     -- JSON: the full pipeline config
  status        TEXT NOT NULL CHECK (status IN ('running','done','failed','diverged','stopped')),
  reason        TEXT,              -- why a run failed, diverged or stopped
  iteration     INTEGER,           -- NULL for a run made by `mlloop train`
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  seconds       REAL,
  artifact_path TEXT
);
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  split  TEXT NOT NULL,
  name   TEXT NOT NULL,
  value  REAL,
  low    REAL,
  high   REAL,
  step   INTEGER                   -- NULL for final metrics, else the epoch or round
);
CREATE INDEX metrics_by_run ON metrics(run_id, split, name);
CREATE TABLE predictions (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  split      TEXT NOT NULL,        -- train_dev | dev
  source     TEXT NOT NULL,
  row_id     INTEGER NOT NULL,
  prediction REAL,
  proba      BLOB,                 -- float32 class probabilities, in class order
  PRIMARY KEY (run_id, split, source, row_id)
) WITHOUT ROWID;
CREATE TABLE iterations (
  id          INTEGER PRIMARY KEY,
  idx         INTEGER NOT NULL UNIQUE,
  bottleneck  TEXT,
  remedy      TEXT,
  reason      TEXT,
  dev_before  REAL,
  dev_after   REAL,
  accepted    INTEGER,
  runs        TEXT,                -- JSON array of run ids
  seconds     REAL,
  state       TEXT NOT NULL,       -- started | finished
  started_at  TEXT NOT NULL,
  finished_at TEXT
);
CREATE TABLE findings (
  id        INTEGER PRIMARY KEY,
  run_id    INTEGER,
  iteration INTEGER,
  code      TEXT NOT NULL,
  severity  TEXT NOT NULL CHECK (severity IN ('info','warn','error')),
  summary   TEXT NOT NULL,
  evidence  TEXT NOT NULL,         -- JSON
  why       TEXT NOT NULL,
  fix       TEXT NOT NULL
);
CREATE TABLE test_looks (
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  at     TEXT NOT NULL,
  value  REAL,
  low    REAL,
  high   REAL
);
)sql",
      // 1 -> 2: the loop records the incumbent after each iteration and the detail of its
      // candidates (their dev errors and the paired test).
      R"sql(
ALTER TABLE iterations ADD COLUMN incumbent INTEGER;
ALTER TABLE iterations ADD COLUMN detail TEXT;
)sql",
      // 2 -> 3: the dashboard pages and counts runs on stores of thousands: indexes for the
      // status counts, the runs of an iteration, and runs sorted by a final metric.
      R"sql(
CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_iteration ON runs(iteration);
CREATE INDEX metrics_final ON metrics(split, name, value, run_id) WHERE step IS NULL;
)sql",
      // 3 -> 4: linear runs stored before the `multiclass` parameter (2026-11-29, the L-BFGS
      // solver) were one-vs-rest, liblinear's only way; their params lacked the key, and a
      // refit from them (cross-validation, a learning curve, a remedy's variant) took the
      // default of the day, since 2026-12-06 one softmax. They say `ovr` now, in the params and
      // in the config's copy. (Their saved models were never affected: they record their own
      // kind. Two classes fit one logistic regression either way.)
      R"sql(
UPDATE runs SET params = json_set(params, '$.multiclass', 'ovr')
  WHERE model = 'linear' AND json_valid(params) AND json_type(params, '$.multiclass') IS NULL;
UPDATE runs SET config = json_set(config, '$.params.multiclass', 'ovr')
  WHERE model = 'linear' AND json_valid(config) AND json_type(config, '$.params') = 'object'
    AND json_type(config, '$.params.multiclass') IS NULL;
)sql",
      // 4 -> 5: a look at the test set records the metric it measured: after an edit of
      // [task] metric, a look in the old metric is no test error in the new one (a logloss of
      // 0.41 beside a dev error rate of 0.20 read as dev overfitting of 0.21). Earlier looks: NULL.
      R"sql(
ALTER TABLE test_looks ADD COLUMN metric TEXT;
)sql",
  };
  return migrations;
}

}  // namespace mlloop
