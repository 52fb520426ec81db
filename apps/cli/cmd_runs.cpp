#include <fmt/format.h>
#include <fmt/ostream.h>

#include "commands.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/report/views.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::cli {

nlohmann::json run_to_json(Store& store, const RunRecord& r, const std::string& metric) { return views::run(store, r, metric); }

std::optional<int64_t> incumbent(Store& store, const std::string& metric) {
  return store.incumbent(metric, !metrics::higher_is_better(metric));
}

int run_runs(const RunsArgs& args, Context& ctx) {
  Project p = Project::open(args.dir);
  const std::string& metric = p.config.metric;
  auto runs = p.store->runs();
  nlohmann::json all = nlohmann::json::array();
  for (const auto& r : runs) all.push_back(run_to_json(*p.store, r, metric));
  if (args.json) {
    ctx.out() << all.dump() << '\n';
    return 0;
  }
  auto& out = ctx.out();
  if (runs.empty()) {
    fmt::print(out, "no runs yet: try mlloop train --model baseline\n");
    return 0;
  }
  auto best = incumbent(*p.store, metric);
  fmt::print(out, "  {:>4}  {:<9} {:<9} {:>10} {:>10} {:>10} {:>8}  {}\n", "run", "model", "status", "train", "train_dev",
             "dev", "seconds", "params");
  for (const auto& j : all) {
    auto cell = [&](const char* s) {
      return j["errors"][s].is_null() ? std::string("-") : fmt_value(j["errors"][s].get<double>());
    };
    int64_t id = j["run"];
    fmt::print(out, "{} {:>4}  {:<9} {:<9} {:>10} {:>10} {:>10} {:>8.2f}  {}\n", best && *best == id ? "*" : " ", id,
               j["model"].get<std::string>(), j["status"].get<std::string>(), cell("train"), cell("train_dev"), cell("dev"),
               j["seconds"].get<double>(), j["params"].dump());
  }
  fmt::print(out, "errors are {} as a loss; * marks the incumbent\n", metric);
  return 0;
}

}  // namespace mlloop::cli
