// A Project: a folder with mlloop.toml and .mlloop/ (store.db, models/, reports/).
// init reads the data, detects the task, makes the frozen splits and writes both files.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlloop/data/csv.hpp"
#include "mlloop/data/task.hpp"
#include "mlloop/project/config.hpp"
#include "mlloop/store/store.hpp"

namespace mlloop {

class Context;

struct InitOptions {
  std::string data;
  std::string target;
  std::string task = "auto";
  std::string metric;  // empty: the task's default
  std::optional<double> reference_error;
  std::optional<double> goal;
  std::string dev_data;
  std::string test_data;
  std::string split;  // empty: stratified for classification, random for regression
  std::optional<uint64_t> seed;
  std::string on_bad_rows = "error";
  std::string on_missing_target = "drop";
  std::optional<std::vector<std::string>> missing;  // missing markers
  bool force = false;
  std::string dir = ".";
};

struct SourceSummary {
  std::string role;  // data | dev | test
  std::string path;
  CsvReport report;
  size_t rows = 0;   // kept rows
  size_t cols = 0;
  size_t dropped_missing_target = 0;
  std::vector<int64_t> dropped_lines;  // first few lines of rows dropped for a missing target
};

struct InitResult {
  std::string dir;
  ProjectConfig config;
  TaskDecision decision;
  bool task_overridden = false;
  std::vector<SourceSummary> sources;
  std::map<SplitName, size_t> counts;
  // Classification: the rarest class of the data file and its share of the rows, for the
  // note that plain error rewards a model that always predicts the majority.
  std::string rarest_class;
  double rarest_share = 1;
  size_t classes = 0;
};

InitResult init_project(const InitOptions& options, Context& ctx);

// Paths inside a project folder.
std::string project_toml(const std::string& dir);
std::string project_store(const std::string& dir);

class Project {
 public:
  // Opens the project in `dir`. No project: exit 2. Data changed since init or a damaged or
  // newer store: exit 3, naming the file and the change.
  static Project open(const std::string& dir, Store::Mode mode = Store::Mode::read_write);

  std::string dir;
  std::string name;
  ProjectConfig config;
  std::unique_ptr<Store> store;
};

// Compares the data files with the hashes frozen at init; throws exit code 3 on a change.
void verify_data_unchanged(Store& store, const std::string& toml_path, const ProjectConfig& config);

}  // namespace mlloop
