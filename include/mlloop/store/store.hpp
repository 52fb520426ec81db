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
