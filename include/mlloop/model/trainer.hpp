// One run: fit a pipeline and a model on train, measure it on train, train-dev and dev
// (never test), save the artifact, and commit the run to the store.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/model.hpp"
#include "mlloop/model/pipeline.hpp"
#include "mlloop/project/project_data.hpp"
#include "mlloop/store/store.hpp"

namespace mlloop {

// Changes a remedy makes to the training data. Recorded in the run's config ("recipe"), so
// a run can be matched and repeated; dev and train-dev are never changed.
struct Recipe {
  std::vector<int64_t> drop_rows;          // training row ids left out (clean_labels)
  std::vector<std::string> drop_columns;   // source columns left out (drop_drifting_features)
  std::string weights;                     // "" or "shift": importance weights (reweight_for_shift)
  std::vector<float> row_weights;          // the weights, one per training row in manifest order
  double noise = 0;                        // Gaussian-noise augmentation: std of the noise on standardized features
  int noise_copies = 0;                    // noisy copies of each training row
  bool oversample = false;                 // SMOTE-style oversampling of minority classes

  bool empty() const { return drop_rows.empty() && drop_columns.empty() && weights.empty() && noise_copies == 0 && !oversample; }
  nlohmann::json to_json() const;          // without row_weights (recomputed from "weights")
  static Recipe from_json(const nlohmann::json& j);
};

// Whether a run of the family with `params` stops early on a slice of its training rows: gbdt
// and mlp, unless their early_stopping / patience is 0 (off: no slice, every row trains, and
// the last round or epoch is the model).
bool uses_early_stopping(const Family& family, const Params& params);
// The family's early-stopping switch (gbdt's early_stopping, mlp's patience; 0 turns it off),
// or null for a family without one.
const ParamSpec* early_stopping_param(const Family& family);
// For such a run, moves a seeded 10% of `rows` (at least 50 of them) out into the
// early-stopping slice it returns; otherwise returns nothing and leaves `rows` alone.
std::vector<size_t> carve_early_stopping(const Family& family, const Params& params, std::vector<size_t>& rows,
                                         uint64_t seed);

// The shape a family fits under the project's metric: the pipeline's, and for mae the absolute
// error (TaskShape::absolute_loss). Train, cross-validation and the learning curve all use it.
TaskShape fit_shape(const Pipeline& pipe, const std::string& metric);

// After `first` stopped early on the slice (x_es, y_es, w_es) carved from the training rows
// (x, y, w): for a family that refits (Family::refit), the model fitted again on all of them
// for the rounds `first` kept. Null where the family or its params ask for no refit, or
// where the refit did not finish (the deadline): the caller keeps the first model, and
// `why_not` says why in the second case. Weights: each side's, 1 where a side has none.
std::unique_ptr<Model> refit_on_every_row(const Family& family, const Params& params, const TaskShape& shape,
                                          const FitResult& first, const Matrix& x, const std::vector<float>& y,
                                          const std::vector<float>& w, const Matrix& x_es, const std::vector<float>& y_es,
                                          const std::vector<float>& w_es, const Context& ctx, const Deadline& deadline,
                                          std::string* why_not = nullptr);

struct TrainRequest {
  std::string family;
  Params params;                      // as given; defaults are filled in
  std::optional<int64_t> iteration;   // null for `mlloop train`
  Deadline deadline;
  Recipe recipe;
};

struct TrainOutcome {
  int64_t run = 0;
  RunRecord record;
  FitResult fit;
  std::map<std::string, metrics::Interval> errors;  // project metric as a loss, by split
  std::vector<std::string> notes;                   // preprocessing notes (dropped columns)
  bool refitted = false;                            // the kept rounds fitted again on every training row
};

TrainOutcome train_run(Project& project, const ProjectData& data, const Registry& registry, const TrainRequest& request,
                       Context& ctx);

// The saved model of a run: pipeline, family, params and learned state.
struct Artifact {
  std::string family;
  Params params;
  Pipeline pipeline;
  std::unique_ptr<Model> model;
};
void write_artifact(const std::string& path, const std::string& family, const Params& params, const Pipeline& pipeline,
                    const Model& model);
Artifact read_artifact(const std::string& path, const Registry& registry);

// The positive class index for binary f1 / auc: `positive` from mlloop.toml, else the
// minority class of the training rows `y_train` (class indices of `pipe`).
int32_t positive_class(const ProjectConfig& cfg, const Pipeline& pipe, const std::vector<float>& y_train);

// Predictions of a model as the metrics module wants them.
metrics::Predictions to_predictions(const std::vector<float>& out, const std::vector<float>& y, const TaskShape& shape,
                                    int32_t positive);

// The loss form of the project metric for a run's stored metrics (auc -> 1 - AUC).
// `metrics` is Store::run_metrics of the run.
std::optional<double> run_loss(const std::map<std::string, std::map<std::string, MetricRecord>>& metrics,
                               const std::string& split, const std::string& metric);

}  // namespace mlloop
