#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/project/project_data.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::cli {

// `mlloop test`: the one place the test split is read. Evaluates the incumbent on it and
// records the look; from the second look on, warns that the figure is now optimistic.
int run_test(const TestArgs& args, Context& ctx) {
  Project project = Project::open(args.dir);
  ctx.seed = project.config.seed;
  const std::string& metric = project.config.metric;
  auto id = incumbent(*project.store, metric);
  if (!id) throw_bad_input("the project has no finished run to test", "run the loop first: mlloop run");
  auto run = project.store->run(*id);
  Registry registry;
  register_builtins(registry);
  Artifact art = read_artifact(run->artifact, registry);
  ProjectData data = load_project_data(project, ctx, /*with_test=*/true);
  auto it = data.splits.find(SplitName::test);
  if (it == data.splits.end() || it->second.empty()) throw_bad_input("the project has no test rows", "re-create it with mlloop init --force");
  std::vector<float> out, y;
  for (const auto& part : it->second) {
    Matrix x = art.pipeline.transform(*part.data, part.positions);
    auto o = art.model->predict(x);
    auto t = art.pipeline.target(*part.data, part.positions);
    out.insert(out.end(), o.begin(), o.end());
    y.insert(y.end(), t.begin(), t.end());
  }
  int32_t positive = run->config.value("positive", 1);
  metrics::Predictions p = to_predictions(out, y, art.pipeline.shape(), positive);
  auto iv = metrics::with_interval(metric, p, ctx.seed, 1000);
  double v = metrics::as_loss(metric, iv.value);
  double a = metrics::as_loss(metric, iv.low), b = metrics::as_loss(metric, iv.high);
  TestLook look{*id, "", v, std::min(a, b), std::max(a, b), metric};
  project.store->add_test_look(look);
  const int64_t looks = project.store->count_test_looks();
  nlohmann::json warning = nullptr;
  if (looks >= 2)
    warning = fmt::format("test set looked at {} times: its error is now optimistic, since choices made after a look "
                          "fit the test set too; for an unbiased figure, collect a fresh test set",
                          looks);
  if (args.json) {
    ctx.out() << nlohmann::json{{"run", *id}, {"test", {{"value", look.value}, {"low", look.low}, {"high", look.high}}},
                                {"looks", looks}, {"warning", warning}}.dump()
              << '\n';
  } else {
    // auc and f1: the score as a person reads it, and the loss the store and --json hold.
    const std::string as_loss = metrics::higher_is_better(metric)
                                    ? fmt::format("; as a loss {}  [{}, {}]", fmt_value(look.value), fmt_value(look.low), fmt_value(look.high))
                                    : "";
    fmt::print(ctx.out(), "test {} of run {} ({}): {}  [{}, {}]  ({} rows{})\nlooks at the test set: {}\n", metric, *id, run->model,
               fmt_value(iv.value), fmt_value(std::min(iv.low, iv.high)), fmt_value(std::max(iv.low, iv.high)), p.rows(), as_loss, looks);
  }
  if (!warning.is_null()) ctx.warn(warning.get<std::string>());
  return 0;
}

}  // namespace mlloop::cli
