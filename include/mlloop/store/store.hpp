// The project store: one SQLite file in WAL mode (.mlloop/store.db). One writer; each
// finished unit of work is committed in its own transaction; readers never block it.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlloop/split/splitter.hpp"
#include "mlloop/store/sqlite.hpp"

namespace mlloop {

// Migrations, in order; migration i brings the schema from version i to i + 1.
const std::vector<std::string>& store_migrations();
inline int store_schema_version() { return static_cast<int>(store_migrations().size()); }

struct DataFileRecord {
  std::string role;  // "data", "dev" or "test"
  std::string path;
  std::string hash;  // XXH3-64, 16 hex digits
  uint64_t bytes = 0;
  int64_t rows = 0;  // data rows in the file, bad ones included
};

struct RejectedRecord {
  std::string source;  // "data", "dev", "test"
  std::string kind;    // "bad_row" or "missing_target"
  int64_t line = 0;
  int64_t row_id = 0;
  std::string reason;
};

// A manifest entry: the rows of one split that come from one source file.
struct SplitRows {
  SplitName split;
  std::string source;
  std::vector<int64_t> row_ids;
};

// One metric value of a run on a split; `step` is set for training-curve points.
struct MetricRecord {
  std::string split;  // train | train_dev | dev | es (early-stopping slice)
  std::string name;
  double value = 0;
  std::optional<double> low, high;
  std::optional<int64_t> step;
};

struct PredictionRecord {
  std::string split;   // train_dev | dev
  std::string source;  // data | dev
  int64_t row_id = 0;
  double prediction = 0;     // class index or value
  std::vector<float> proba;  // class probabilities (classification)
};

struct RunRecord {
  int64_t id = 0;
  std::string model;
  nlohmann::json params;
  nlohmann::json config;
  std::string status;  // running | done | failed | diverged | stopped
  std::string reason;
  std::optional<int64_t> iteration;
  std::string started_at, finished_at;
  double seconds = 0;
  std::string artifact;
};

// One Analyze -> Select -> Implement -> Measure step of the loop.
struct IterationRecord {
  int64_t index = 0;
  std::string bottleneck, remedy, reason;
  std::optional<double> dev_before, dev_after;
  bool accepted = false;
  std::vector<int64_t> runs;
  double seconds = 0;
  std::string state;  // started | finished
  std::optional<int64_t> incumbent;  // the incumbent after this iteration
  nlohmann::json detail = nlohmann::json::object();
};

struct TestLook {
  int64_t run = 0;
  std::string at;
  double value = 0, low = 0, high = 0;
  std::string metric;  // the metric measured ("" for a look stored before schema 5)
};

class Store {
 public:
  enum class Mode { read_only, read_write, create };

  // Opens the store, creating and migrating it as needed. A store whose schema is newer than
  // this binary knows, or that is damaged, throws an Error with exit code 3 and is not changed.
  static std::unique_ptr<Store> open(const std::string& path, Mode mode);

  int schema_version();
  sql::Db& db() { return *db_; }

  void set_meta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key);

  void put_data_file(const DataFileRecord& f);
  std::vector<DataFileRecord> data_files();

  void put_split_rows(const SplitRows& rows);
  std::map<SplitName, int64_t> split_counts();
  // Row ids of a split, by source file, ascending.
  std::vector<SplitRows> split_rows(SplitName split);

  void put_rejected(const std::vector<RejectedRecord>& rows);
  int64_t rejected_count(const std::string& kind);
  std::vector<RejectedRecord> rejected(const std::string& kind, size_t limit);

  // Runs. begin_run commits a 'running' row; finish_run commits everything about the
  // finished run in one transaction.
  int64_t begin_run(const std::string& model, const nlohmann::json& params, const nlohmann::json& config,
                    std::optional<int64_t> iteration);
  void finish_run(int64_t id, const std::string& status, const std::string& reason, double seconds,
                  const std::string& artifact, const std::vector<MetricRecord>& metrics,
                  const std::vector<PredictionRecord>& predictions);
  std::vector<RunRecord> runs();  // oldest first
  std::optional<RunRecord> run(int64_t id);
  // The runs of `ids` that exist, in the order given, in one query (a page of a table).
  std::vector<RunRecord> runs(const std::vector<int64_t>& ids);
  // run_metrics of several runs in one query: run id -> split -> name -> record.
  std::map<int64_t, std::map<std::string, std::map<std::string, MetricRecord>>> runs_metrics(const std::vector<int64_t>& ids);
  // Final (step-less) metrics of a run: split -> name -> record.
  std::map<std::string, std::map<std::string, MetricRecord>> run_metrics(int64_t id);
  std::vector<MetricRecord> run_curve(int64_t id);
  std::vector<PredictionRecord> run_predictions(int64_t id, const std::string& split);
  // The finished run with the lowest dev loss on `metric` (lower_is_better tells the order),
  // leaving out the candidates of an iteration that is not finished: the loop has not judged
  // them.
  std::optional<int64_t> best_run(const std::string& metric, bool lower_is_better);

  // The incumbent (CONTRACT.md): the run the loop last accepted, else the finished run with
  // the lowest dev loss (best_run). So a loop killed in its first iteration is redone from
  // the incumbent that iteration started from, not from its lowest candidate on dev. (The
  // iterations of a store from before schema 2 record no incumbent: there, as then, the
  // lowest of their runs is.)
  std::optional<int64_t> incumbent(const std::string& metric, bool lower_is_better);
  // Removes runs left 'running' by a killed process (they have no metrics yet). Only the
  // process holding the loop lock may call it.
  int64_t delete_unfinished_runs();

  // Iterations. begin_iteration commits a 'started' row (replacing a started row of the
  // same index left by a killed process); finish_iteration commits the decision.
  void begin_iteration(int64_t index, const std::string& bottleneck, const std::string& remedy, const std::string& reason);
  void finish_iteration(const IterationRecord& it);
  std::vector<IterationRecord> iterations();  // finished and started, by index
  std::optional<IterationRecord> iteration(int64_t index);

  void add_test_look(const TestLook& look);
  std::vector<TestLook> test_looks();

  int64_t count_runs();
  int64_t count_iterations();
  int64_t count_test_looks();

  // Test-only fault hook: called inside write transactions just before COMMIT with the
  // name of the write; a hook that throws or aborts simulates a crash mid-write.
  void set_fault_hook(std::function<void(const std::string&)> hook) { fault_hook_ = std::move(hook); }
  void fault_point(const std::string& where) {
    if (fault_hook_) fault_hook_(where);
  }

 private:
  explicit Store(std::unique_ptr<sql::Db> db) : db_(std::move(db)) {}
  std::unique_ptr<sql::Db> db_;
  std::function<void(const std::string&)> fault_hook_;
};

}  // namespace mlloop

namespace mlloop {

// For tests and benchmarks: appends `n` finished runs with plausible metrics on `metric`
// (error-like losses between 0.25 and 0.6, so they never beat a real model) and one finished,
// not accepted iteration per 20 runs, numbered after the store's last one. Deterministic in
// `seed`. The runs have no artifacts: they fill the store, they cannot predict.
void add_synthetic_runs(Store& store, int64_t n, uint64_t seed, const std::string& metric);

}  // namespace mlloop
