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

struct TrainRequest {
  std::string family;
  Params params;                      // as given; defaults are filled in
  std::optional<int64_t> iteration;   // null for `mlloop train`
  Deadline deadline;
};

struct TrainOutcome {
  int64_t run = 0;
  RunRecord record;
  FitResult fit;
  std::map<std::string, metrics::Interval> errors;  // project metric as a loss, by split
  std::vector<std::string> notes;                   // preprocessing notes (dropped columns)
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

// Predictions of a model as the metrics module wants them.
metrics::Predictions to_predictions(const std::vector<float>& out, const std::vector<float>& y, const TaskShape& shape,
                                    int32_t positive);

// The loss form of the project metric for a run's stored metrics (auc -> 1 - AUC).
// `metrics` is Store::run_metrics of the run.
std::optional<double> run_loss(const std::map<std::string, std::map<std::string, MetricRecord>>& metrics,
                               const std::string& split, const std::string& metric);

}  // namespace mlloop
