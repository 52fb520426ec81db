// Analyses of the data, beside the decomposition. Each returns the JSON object of its field
// in CONTRACT.md's `mlloop diagnose --json`, with extra detail keys.
//   memorization  a high-capacity model on a small stratified subset must reach ~0 training
//                 error; identical feature rows with different labels fail it on their own
//   label_issues  confident learning on 5-fold out-of-fold probabilities (classification), or
//                 robust z-scores of out-of-fold residuals (regression)
//   shift         adversarial validation (a gbdt telling train rows from dev rows, its
//                 out-of-fold AUC) and per-feature drift tests (KS, chi-square)
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlloop/model/model.hpp"
#include "mlloop/project/project_data.hpp"

namespace mlloop {

class Context;
class Pipeline;

// The training rows as the analyses see them.
struct AnalysisData {
  Matrix x;                              // tree features (raw values, NaN, codes)
  Matrix x_std;                          // standardized features (imputed, one-hot), for linear
  std::vector<float> y;                  // class index or value
  TaskShape shape;
  std::vector<int64_t> row_ids;          // row ids of the training rows
  std::vector<std::string> class_names;  // classification
  std::vector<std::vector<std::string>> raw;  // per row, the feature cells as text (duplicates)
};

nlohmann::json memorization_check(const AnalysisData& train, const Registry& registry, Context& ctx);
nlohmann::json label_issues(const AnalysisData& train, const Registry& registry, Context& ctx);
// Confident learning flags a row its features do not decide like a wrong label (the same
// P(label | features)). Where the flagged share makes up much of the optimal error (metric
// error, the share at least half of it), many of the rows may be that noise: how the share
// compares with the optimal error ("above" or "much of"), else nullopt. MLL-L01 and relabel
// both say so.
std::optional<std::string> flagged_share_against_optimal(const std::string& metric, double share, std::optional<double> optimal);
// A regression's suspects are residuals beyond 3.5 robust standard deviations, which noise of a
// bell-shaped spread puts 0.05% of the rows at. Where the flagged share is far above that (over
// 1%), either that many targets are corrupt or the noise itself is heavy-tailed or skewed
// (prices, durations: noise that multiplies), and the count cannot tell which: the caveat
// MLL-L01 and relabel then give (for the regression metrics), else nullopt.
std::optional<std::string> heavy_tailed_residuals_caveat(const std::string& metric, double share);

struct ShiftInput {
  Matrix train_x, dev_x;                    // tree features of train and dev rows
  std::vector<std::string> feature_names;   // pipeline feature names ("c=a", "x:missing" ...)
  std::vector<std::string> columns;         // the source column of each feature
  std::vector<bool> categorical;            // per feature: compare as categories
  // A group split's group code of each train and dev row (empty otherwise): the domain
  // classifier's folds keep a group whole. With rows of one group in both its fit and its
  // held-out fold, any feature constant within a group (a patient's age) names the group, and
  // so its side: AUC 1.00 on a split that had made no shift.
  std::vector<uint32_t> train_groups, dev_groups;
};
nlohmann::json shift_analysis(const ShiftInput& in, const Registry& registry, Context& ctx);

// The inputs of the three data analyses, built from the project's training and dev rows
// with the tree pipeline (and the standardized one for x_std), fitted on train.
struct AnalysisInputs {
  AnalysisData train;
  ShiftInput shift;            // shift.dev_x: the dev rows' tree features
  std::vector<float> dev_y;    // and their targets
};
AnalysisInputs analysis_inputs(const Project& project, const ProjectData& data);

// Target leakage: the features that alone predict the target almost exactly (a rule per
// feature, its values binned, scored on held-out training rows; no model fitted): {"features",
// "rows", "measure" (error, or rank_rmse: a value's rule works on the target's ranks),
// "baseline" (the held-out error without features), "flagged": [{"column", "feature", "error",
// and for a value "explained", the share of the ranks' variance}], best first, one per source
// column}; "skipped" with its reason when there are too few rows, or the value does not vary. `x`: the training rows' tree features, `columns`
// and `features` their source columns and names.
nlohmann::json leakage_check(const Matrix& x, const std::vector<float>& y, const TaskShape& shape,
                             const std::vector<std::string>& columns, const std::vector<std::string>& features);

// Out-of-fold predictions of a family over seeded folds (rows x classes, or values). With
// `fit_folds` > 0 only the first that many folds are fitted, and only their held-out rows are
// predicted (the others stay 0); `predicted`, when given, gets those rows in fold order.
// `groups` (a group split's group code per row, or null): each group whole in one fold, so
// that a held-out row's group is one the fit never saw, as dev's groups are.
std::vector<float> out_of_fold_predictions(const Matrix& x, const std::vector<float>& y, const TaskShape& shape,
                                           const std::string& family, const Params& params, const Registry& registry,
                                           Context& ctx, int folds = 5, int fit_folds = 0,
                                           std::vector<size_t>* predicted = nullptr,
                                           const std::vector<uint32_t>* groups = nullptr);

// The dev rows (from DATA or from the dev file) as one matrix through `pipe`, with their
// targets appended to `y` when given.
Matrix dev_features(const Pipeline& pipe, const ProjectData& data, std::vector<float>* y = nullptr);

}  // namespace mlloop
