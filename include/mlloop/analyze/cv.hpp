// Small-data cross-validation. When dev is small (fewer than [analyze] cv_below rows; 40 dev
// rows give an error interval of +-0.1), one dev split is too noisy to decide on. The errors
// the decisions use then come from repeated, seeded k-fold cross-validation of the run's
// family, params and data recipe over the non-test rows of one distribution:
//   - train + train-dev + dev when dev was carved from DATA by a random or stratified split;
//   - train + train-dev when dev comes from its own file or lies later in time (a time
//     split): dev then keeps its own error, and the mismatch gap stays measurable.
// Folds are stratified for classification and by group for a group split. Preprocessing is
// fitted on each fold's training rows only.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlloop/metrics/metrics.hpp"
#include "mlloop/project/project_data.hpp"
#include "mlloop/store/store.hpp"

namespace mlloop {

class Context;
class Registry;

// Whether the project's decisions use cross-validation: dev has fewer than cv_below rows
// (and, when dev stands apart from the pool, so has train-dev).
bool uses_cv(const ProjectConfig& config, Store& store);

// How many repeats of k-fold a pool of `pool_rows` gets: cv_repeats at most, and no more than
// it takes for the out-of-fold predictions to number cv_repeats x cv_repeat_rows (3,000 rows
// by default) in all. Repeats average out the luck of one fold assignment, which matters on a
// pool of a few hundred rows; on several thousand, one repeat already pins the error down
// more tightly than its sampling noise allows, and each further repeat costs k fits.
int cv_repeats_for(const ProjectConfig& config, size_t pool_rows);

// cv_below, or 1,000 when it is larger: the rows per repeat cv_repeats_for aims at. With the
// pool (fixed per project) it sets the repeats, so the cross-validated caches' keys hold it.
// (Until 2026-12-06 it was cv_below itself, whose default was 1,000.)
int64_t cv_repeat_rows(const ProjectConfig& config);
// The metric as the caches of figures in it name it: with [task] positive when set (f1 scores
// that class), since mlloop.toml may change either.
std::string cached_metric_name(const ProjectConfig& config);

struct CvResult {
  std::string pool;                  // "train+train_dev+dev" or "train+train_dev"
  bool dev_separate = false;         // dev is not in the pool (own file or time split)
  int folds = 0, repeats = 0;
  size_t rows = 0;                   // rows in the pool
  metrics::Interval train;           // mean in-fold error, as a loss
  metrics::Interval out_of_fold;     // pooled out-of-fold error, as a loss (mean over repeats)
  // Each repeat's out-of-fold predictions over the pool, for paired comparisons
  // (metrics::compare_repeated): two runs of one project see the same folds in each repeat.
  std::vector<metrics::Predictions> oof_by_repeat;

  nlohmann::json to_json() const;   // without the predictions
};

// Cross-validates a finished run (cached per run and repeat in the store) with
// cv_repeats_for(pool) repeats; `repeats` caps them further. Throws BudgetExhausted at the
// loop's deadline, and std::runtime_error when a fold fails.
CvResult cross_validate(Project& project, const ProjectData& data, const RunRecord& run, const Registry& registry,
                        Context& ctx, std::optional<int> repeats = std::nullopt);

// The learning curve (learning_curve.hpp's JSON) of a run out of fold, when the pool holds dev
// (else nullopt: dev keeps its own rows, and the curve is measured on them). The folds are
// repeat 0's; each fold's model is fitted on seeded subsets of its training rows, 1/32 ... 1/2,
// with the run's params and recipe, and predicts its held-out rows; the last point is the run's
// cross-validation (cached), the pooled out-of-fold error the loop and `diagnose` report as dev. One
// small dev split cannot draw a curve: 150 rows put every point within +-3.5 points at 5%,
// and a forecast from them quoted against an out-of-fold "now" mixed two measures. The
// points' intervals and the forecasts' ranges come from the folds ("repeats": the folds).
// `floor`: the optimal error's lower end, or 0 (CurveMeasure::floor).
std::optional<nlohmann::json> learning_curve_cv(Project& project, const ProjectData& data, const RunRecord& run,
                                                const Registry& registry, Context& ctx, double floor = 0);

// The errors a diagnosis took from cross-validation for `run` ({"train", "train_dev"} as
// losses, and "dev_in_pool": dev's error is then train_dev's, and the mismatch is not
// measured; else dev keeps the frozen split's error), if a diagnosis has computed them with
// the project's seed, folds and repeats; else nullopt. Only meaningful when uses_cv(). The
// report and the dashboard draw the same decomposition as `diagnose` from this.
std::optional<nlohmann::json> cached_cv_errors(const ProjectConfig& config, Store& store, int64_t run);
void save_cv_errors(const ProjectConfig& config, Store& store, int64_t run, const CvResult& cv);

// The dev error a run is judged by, as a loss. On a project that cross-validates over a pool
// holding dev (uses_cv, dev carved from DATA), it is the pooled out-of-fold error cached for the
// run, the figure the loop's decisions and `diagnose` use: one small dev split is too noisy to
// stand for the model (500 rows put a 5% error anywhere in 3-7%). Otherwise, and for a run
// not cross-validated yet, it is the frozen dev split's error. `split` is always the latter.
struct JudgedDev {
  std::optional<double> value;
  std::optional<double> split;
  bool out_of_fold = false;
  // {"dev": value, "dev_split": split, "estimated_by": "cv" or "split"} (null where missing).
  nlohmann::json to_json() const;
};
JudgedDev judged_dev(const ProjectConfig& config, Store& store, int64_t run);

}  // namespace mlloop
