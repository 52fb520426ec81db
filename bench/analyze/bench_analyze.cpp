// Runs one analysis of mlloop's diagnosis on a project and prints {"analysis", "rows",
// "seconds"} as JSON (the data loading and pipelines are timed apart, as "prepare"). Run each
// analysis in its own process, under /usr/bin/time, for its peak memory.
//   bench_analyze PROJECT_DIR prepare|bound|knn1|memorization|label_issues|shift|leakage|learning_curve|diagnose
#include <fmt/format.h>

#include <chrono>
#include <string>

#include "mlloop/analyze/analyses.hpp"
#include "mlloop/analyze/bound.hpp"
#include "mlloop/analyze/diagnosis.hpp"
#include "mlloop/analyze/learning_curve.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/model/knn.hpp"
#include "mlloop/project/project.hpp"
#include "mlloop/project/project_data.hpp"

using namespace mlloop;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr,
               "usage: bench_analyze PROJECT_DIR "
               "prepare|bound|knn1|memorization|label_issues|shift|leakage|learning_curve|diagnose\n");
    return 2;
  }
  const std::string what = argv[2];
  try {
    Context ctx;
    ctx.quiet = true;
    Project project = Project::open(argv[1]);
    ctx.seed = project.config.seed;
    Registry registry;
    register_builtins(registry);
    auto t0 = Clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    nlohmann::json out{{"analysis", what}};
    if (what == "diagnose") {
      // The whole diagnosis of the incumbent, nothing cached (the script copies a fresh store).
      nlohmann::json d = diagnose(project, std::nullopt, registry, ctx);
      out["seconds"] = seconds();
      out["bottleneck"] = d["bottleneck"];
      fmt::print("{}\n", out.dump());
      return 0;
    }
    ProjectData data = load_project_data(project, ctx);
    AnalysisInputs in = analysis_inputs(project, data);
    out["rows"] = in.train.y.size();
    const double prepare = seconds();
    t0 = Clock::now();
    if (what == "prepare") {
      out["seconds"] = prepare;
    } else if (what == "bound") {
      OptimalBound b = estimate_optimal_error(in.train.x_std, in.train.y, in.train.shape, registry, ctx);
      out["seconds"] = seconds();
      out["value"] = b.value;
    } else if (what == "knn1") {
      // The leave-one-out 1-NN search at the heart of the bound, on the standardized features
      // of the first 200k training rows at most (the bound subsamples to 200k rows too).
      Matrix x = in.train.x_std;
      x.rows = std::min<size_t>(x.rows, 200000);
      x.data.resize(x.rows * x.cols);
      t0 = Clock::now();
      Neighbours nn = knn_search(x, x, 1, true, ctx.threads);
      out["seconds"] = seconds();
      out["features"] = x.cols;
      out["searched_rows"] = x.rows;
    } else if (what == "memorization") {
      auto j = memorization_check(in.train, registry, ctx);
      out["seconds"] = seconds();
      out["passed"] = j["passed"];
    } else if (what == "label_issues") {
      auto j = label_issues(in.train, registry, ctx);
      out["seconds"] = seconds();
      out["estimated_noise_rate"] = j["estimated_noise_rate"];
    } else if (what == "shift") {
      auto j = shift_analysis(in.shift, registry, ctx);
      out["seconds"] = seconds();
      out["adversarial_auc"] = j["adversarial_auc"];
    } else if (what == "leakage") {
      auto j = leakage_check(in.train.x, in.train.y, in.train.shape, in.shift.columns, in.shift.feature_names);
      out["seconds"] = seconds();
      out["flagged"] = j["flagged"].size();
    } else if (what == "learning_curve") {
      CurveInput c;
      c.train_x = in.train.x;
      c.train_y = in.train.y;
      c.dev_x = in.shift.dev_x;
      c.dev_y = in.dev_y;
      c.shape = in.train.shape;
      c.family = "gbdt";
      c.params = Params::object();
      auto j = learning_curve(c, registry, ctx);
      out["seconds"] = seconds();
      out["extrapolated"] = j["extrapolated"];
    } else {
      fmt::print(stderr, "unknown analysis '{}'\n", what);
      return 2;
    }
    out["prepare_seconds"] = prepare;
    fmt::print("{}\n", out.dump());
  } catch (const Error& e) {
    fmt::print(stderr, "{}\n", e.describe());
    return 2;
  }
  return 0;
}
