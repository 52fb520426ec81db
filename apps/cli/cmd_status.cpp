#include <fmt/format.h>
#include <fmt/ostream.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/loop/loop.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/report/views.hpp"

namespace mlloop::cli {

int run_status(const StatusArgs& args, Context& ctx) {
  Project p = Project::open(args.dir, Store::Mode::read_write);
  const ProjectConfig& c = p.config;
  auto counts = p.store->split_counts();
  nlohmann::json j = views::status(p.name, c, *p.store);
  if (args.json) {
    ctx.out() << j.dump() << '\n';
    return 0;
  }
  auto& out = ctx.out();
  fmt::print(out, "project  {} ({})\n", p.name, p.dir);
  fmt::print(out, "data     {} (unchanged since init)\n", c.data);
  fmt::print(out, "task     {}, target '{}', metric {}\n", to_string(c.task), c.target, c.metric);
  fmt::print(out, "rows     train {} | train_dev {} | dev {} | test {}\n", with_commas(counts[SplitName::train]),
             with_commas(counts[SplitName::train_dev]), with_commas(counts[SplitName::dev]), with_commas(counts[SplitName::test]));
  fmt::print(out, "goal     {}\n", c.goal ? goal_text(c.metric, *c.goal) : "none (set [task] goal in mlloop.toml)");
  if (c.reference_error) fmt::print(out, "optimal  reference error {}\n", *c.reference_error);
  int64_t bad = p.store->rejected_count("bad_row"), miss = p.store->rejected_count("missing_target");
  if (bad || miss) fmt::print(out, "rejected {} malformed rows, {} rows without a target\n", bad, miss);
  fmt::print(out, "runs     {}, iterations {}, test looks {}\n", p.store->count_runs(), p.store->count_iterations(),
             p.store->count_test_looks());
  if (const nlohmann::json& b = j["best"]; !b.is_null()) {
    // On a small dev split, dev is the out-of-fold error the loop judges by; the split's follows.
    std::string split;
    if (b["estimated_by"] == "cv" && !b["dev_split"].is_null())
      split = fmt::format(" out of fold ({} on the {}-row dev split)", metrics::said(c.metric, b["dev_split"].get<double>()),
                          with_commas(counts[SplitName::dev]));
    fmt::print(out, "best     run {} ({}), dev {}{}\n", b["run"].get<int64_t>(), b["model"].get<std::string>(),
               metrics::said(c.metric, b["dev"].get<double>()), split);
  }
  if (!j["bottleneck"].is_null()) fmt::print(out, "bottleneck {} (at the last analysis)\n", j["bottleneck"].get<std::string>());
  // Whether a loop is working on the project now (it holds the loop lock) tells an iteration in
  // progress from one a killed run left behind.
  const bool running = loop_running(p.dir);
  auto its = p.store->iterations();
  if (!its.empty()) {
    const auto& last = its.back();
    if (last.state == "started")
      fmt::print(out, "loop     iteration {} ({}) {}\n", last.index, last.remedy,
                 running ? "is in progress: mlloop run is working on it" : "was interrupted: mlloop run resumes it");
    else
      fmt::print(out, "loop     last iteration {}: {} -> {}{}\n", last.index, last.remedy, last.accepted ? "accepted" : "did not help",
                 running ? "; mlloop run is working on the next" : "");
  } else if (running) {
    fmt::print(out, "loop     mlloop run is setting up or analyzing\n");
  }
  return 0;
}

}  // namespace mlloop::cli
