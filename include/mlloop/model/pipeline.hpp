// Preprocessing, fitted on the training rows only: median imputation with missing
// indicators, one-hot encoding of low-cardinality categoricals (of a many-level one, its
// frequent levels, the rare ones sharing a column) and ordinal codes for trees,
// standardization for the families that want it, and the target
// encoding. Columns that look like identifiers (text unique per row, or integers unique per
// row and named or laid out like a numbering: Column::integer_identifier_like) or are constant
// are dropped, and the drop is reported.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlloop/data/dataset.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop {

class Pipeline {
 public:
  struct Options {
    bool standardize = true;         // linear, mlp, knn: scale and one-hot; trees: raw values and codes
    size_t max_onehot_levels = 16;   // up to this many levels, one-hot every level
    // Above max_onehot_levels, the families that standardize one-hot the levels held by at
    // least min_level_rows training rows (at most max_frequent_levels of them, the most
    // frequent), and the other levels share one column; with fewer than two such levels, the
    // column stays ordinal codes. Trees always get ordinal codes.
    size_t min_level_rows = 10;
    size_t max_frequent_levels = 100;
    size_t max_frequent_total = 400;  // over all such columns: above, each keeps an equal share (4 at least)
    std::vector<std::string> drop_columns;  // left out on purpose (a remedy dropped them)
    // A group split's column (SplitSpec::group_column), left out while another feature remains:
    // dev and test hold other groups, so its levels never carry over, and a model that learns
    // them (one-hot patient ids for linear) memorizes the training groups instead of what
    // tells groups apart.
    std::string group_column;
  };

  // Fits on `rows` of `ds`. `target` is the target column; `classification` picks the target
  // encoding. Notes for the user (dropped columns) go to `notes`.
  void fit(const Dataset& ds, const std::vector<size_t>& rows, const std::string& target, bool classification,
           const Options& options, std::vector<std::string>* notes = nullptr);

  // Features of `rows` of `ds` (any file with the same columns; categories match by text).
  // A date column's value that is no date (a file whose column was not read as dates) is missing.
  Matrix transform(const Dataset& ds, const std::vector<size_t>& rows) const;
  // Bad input (exit 2, naming file, line, column and value) for the first value of a date
  // column of `rows` that is no date as the training data writes them: predict's check.
  void check_dates(const Dataset& ds, const std::vector<size_t>& rows) const;
  // Per categorical column, the rows of `rows` whose value the training rows never held (such a
  // value is encoded as a missing one): the column, how many rows, and the first such value.
  // Dates are left out (an unseen date has its place in time order).
  struct Unseen {
    std::string column;
    size_t rows = 0;
    std::string example;
  };
  std::vector<Unseen> unseen_categories(const Dataset& ds, const std::vector<size_t>& rows) const;
  // The encoded target: class index (NaN for a class unseen in train) or value.
  std::vector<float> target(const Dataset& ds, const std::vector<size_t>& rows) const;

  const std::vector<std::string>& classes() const { return classes_; }
  TaskShape shape() const { return TaskShape{classification_, classification_ ? classes_.size() : 0}; }
  std::vector<std::string> feature_names() const;
  // Per feature: the source column, and whether the feature holds categories (codes, one-hot
  // columns, missing indicators) rather than a number.
  std::vector<std::pair<std::string, bool>> feature_sources() const;
  const std::string& target_name() const { return target_; }

  nlohmann::json to_json() const;
  static Pipeline from_json(const nlohmann::json& j);

 private:
  enum class Kind { numeric, onehot, ordinal };
  struct ColumnPlan {
    std::string name;
    Kind kind = Kind::numeric;
    float median = 0, mean = 0, scale = 1;
    bool indicator = false;              // add a was-missing column
    bool sorted_levels = false;          // ordinal by sorted text (dates), else by frequency
    std::vector<std::string> levels;     // one-hot levels, or ordinal levels in code order
    std::vector<std::string> other_levels;  // one-hot: the seen levels that share the column NAME:other
    // Every level the training rows held: levels, then other_levels (their index is
    // levels.size() or more).
    std::vector<std::string> seen_levels() const {
      std::vector<std::string> all = levels;
      all.insert(all.end(), other_levels.begin(), other_levels.end());
      return all;
    }
  };
  std::vector<ColumnPlan> plans_;
  std::string target_;
  bool classification_ = true;
  bool standardize_ = true;
  std::vector<std::string> classes_;  // in order of first appearance in the training rows
  size_t width_ = 0;
};

}  // namespace mlloop
