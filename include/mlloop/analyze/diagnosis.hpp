// The diagnosis of a run: its errors with intervals, the optimal-error bound, the gaps of
// the error decomposition (Ng, Machine Learning Yearning, ch. 41), the bottleneck, and the
// findings that back it. The JSON form is CONTRACT.md's `mlloop diagnose --json`.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "mlloop/project/project.hpp"

namespace mlloop {

class Context;
class Registry;
struct ProjectData;

struct DiagnoseOptions {
  // The learning curve refits the run's family at up to 5 sizes below all of train, 3 repeats
  // each (on small data, out of fold: each fold's model at each size); the loop skips it
  // (the field is then the cached curve, or null) and computes it only when it needs it.
  bool learning_curve = true;
  // Memorization, label issues and shift (cached per project once computed). Without them
  // those fields are null; the loop skips them when its first remedy does not need them.
  bool data_analyses = true;
  // The optimal-error estimate (cached per project once computed). Without it, a cached
  // estimate or the reference error is used, else "optimal" is null: the loop's fallback when
  // the estimate does not finish within its share of a time budget.
  bool optimal_estimate = true;
  // The latest test-set look of the run (mlloop test) as errors.test, and dev overfitting (test
  // less dev) among the gaps. The loop leaves it out: it never uses the test set.
  bool test_looks = true;
  // False: nothing is fitted, and each part is what the store has cached, else left out (the
  // cross-validated errors: the frozen split's instead, with a finding that says so). The
  // dashboard's and the report's diagnosis while a loop runs on the project: their own fits
  // would compete with the loop for the machine (a learning curve for every new incumbent, a
  // minute on a large table), and the loop caches what it computes.
  bool fit = true;
  // The memorization check, among the data analyses. The loop leaves it out when mlloop.toml's
  // [loop] deny names `memorization_check` (or an allow list leaves it out): "memorization"
  // is then null, unless an earlier analysis cached it.
  bool memorization = true;
  // "recommendations": the loop's next steps from this diagnosis (next_steps in loop.hpp:
  // reads the data files, fits no model). The loop, which ranks the remedies itself, leaves
  // them out (an empty list).
  bool next_steps = true;
  // The project's data (without test), already read by the caller (the loop); null: each
  // analysis that needs it reads the files, at most once per diagnosis.
  const ProjectData* data = nullptr;
};

// Diagnoses `run` (the incumbent when empty). The optimal-error estimate is computed once
// per project and cached in the store.
nlohmann::json diagnose(Project& project, std::optional<int64_t> run, const Registry& registry, Context& ctx,
                        const DiagnoseOptions& options = {});

// The diagnosis's "optimal" object ({value, low, high, source}) as far as it is known without
// computing: the reference error, or the estimate cached by an earlier diagnosis; else null.
nlohmann::json optimal_bound_json(const ProjectConfig& config, Store& store);
// How the incumbent's predictions on dev compare with the truth: for classes a confusion
// matrix {"kind": "confusion", "run", "classes", "matrix" (rows: true class, columns:
// predicted)}; for values the residuals {"kind": "residuals", "run", "points": [[predicted,
// residual], ...] (at most `max_points`, an even subsample), "rmse"}.
nlohmann::json dev_predictions(Project& project, const Registry& registry, Context& ctx, size_t max_points = 2000);
// Memorization, label issues and shift of the project's data (cached in the store).
nlohmann::json data_analyses(Project& project, const Registry& registry, Context& ctx, bool memorization = true,
                             const ProjectData* data = nullptr);
// The same, if an earlier call cached them; else nullopt, and nothing is computed.
std::optional<nlohmann::json> cached_data_analyses(Project& project);

// Thrown where an analysis is asked for without fitting (inspect's `fit`) and is not cached.
struct NotComputed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `mlloop inspect`: "wrong" (dev rows the incumbent gets wrong, most confidently wrong first,
// and the training rows with the highest loss), "labels", "shift" or "slices" (the worst
// dev segments by category and by numeric quartile, with support, error and interval; only
// those significantly worse than dev overall). Without `fit` (a loop is running: see
// DiagnoseOptions::fit), "labels" and "shift" are what the store has cached, else NotComputed.
nlohmann::json inspect(Project& project, const std::string& what, size_t n, const Registry& registry, Context& ctx,
                       bool fit = true);

}  // namespace mlloop
