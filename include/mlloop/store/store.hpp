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
  // Final (step-less) metrics of a run: split -> name -> record.
  std::map<std::string, std::map<std::string, MetricRecord>> run_metrics(int64_t id);
  std::vector<MetricRecord> run_curve(int64_t id);
  std::vector<PredictionRecord> run_predictions(int64_t id, const std::string& split);
  // The finished run with the lowest dev loss on `metric` (lower_is_better tells the order).
  std::optional<int64_t> best_run(const std::string& metric, bool lower_is_better);

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
