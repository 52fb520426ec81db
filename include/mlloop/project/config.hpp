// mlloop.toml: the project's settings, written at init so a person can read and edit them.
// Unknown keys and bad values are errors naming the file and line.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlloop/data/csv.hpp"
#include "mlloop/data/task.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop {

enum class MissingTarget { drop, error };
// The names mlloop.toml and init's flags give them ("error" / "skip", "drop" / "error").
const char* to_string(BadRows b);
const char* to_string(MissingTarget m);

// Metrics, as losses where lower is better (auc -> 1 - AUC, f1 -> 1 - F1).
bool metric_fits_task(std::string_view metric, Task task);
std::string default_metric(Task task);
const std::vector<std::string>& known_metrics();

struct ProjectConfig {
  // [data]
  std::string data;  // absolute paths
  std::string target;
  std::string dev_data;
  std::string test_data;
  std::vector<std::string> missing = CsvOptions{}.missing_markers;
  BadRows on_bad_rows = BadRows::error;
  MissingTarget on_missing_target = MissingTarget::drop;
  // [task]
  Task task = Task::binary;
  std::string metric = "error";
  std::optional<double> reference_error;
  std::optional<double> goal;
  std::optional<std::string> positive;
  // [split]
  SplitSpec split;
  uint64_t seed = 42;
  // [loop]
  std::optional<int64_t> iterations;
  std::optional<std::string> time_budget;
  std::optional<std::string> run_time_cap;  // the longest one training may take ("5m")
  int64_t plateau = 3;                      // stop after this many iterations without an accepted change
  int tune_trials = 8;                      // tune_hyperparameters' trial budget
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  std::vector<int64_t> allow_lines, deny_lines;  // each name's line in mlloop.toml (0: not read from one)
  // [analyze]
  // Dev with fewer rows: the decisions use repeated k-fold CV (0: never). 2,000: a dev split of
  // 1,000 rows measures an error of 6% to +-1.5 points, the whole difference between the
  // underfit scenario's Bayes error (5%) and 1.2x it; the loop stopped there at 6.0% "within
  // noise of the optimum" where 5-fold CV over the 9,000 pooled rows reads 5.4%.
  int64_t cv_below = 2000;
  int cv_folds = 5;
  int cv_repeats = 3;
  // Each key's line in mlloop.toml, as "section.key" (absent: not read from one).
  std::map<std::string, int64_t> lines;

  CsvOptions csv_options() const;
};

ProjectConfig load_config(const std::string& path);
void save_config(const std::string& path, const ProjectConfig& config);

// The positive class of a binary target (for f1 and auc), as an index into `classes` (the
// training rows' classes in order of first appearance): [task] positive when set, else
// `minority`. A `positive` that is not one of the two classes is bad input (exit 2), which
// names the classes. With other than two classes: 1, unused.
int32_t positive_index(const ProjectConfig& config, const std::vector<std::string>& classes, int32_t minority);

// Checks a metric value (reference error, goal) for the metric's range; names the flag.
void check_metric_value(std::string_view flag, double value, std::string_view metric);

}  // namespace mlloop
