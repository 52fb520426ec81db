#include <fmt/format.h>
#include <fmt/ostream.h>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/progress.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::cli {

int run_train(const TrainArgs& args, Context& ctx) {
  Registry registry;
  register_builtins(registry);
  const Family& family = registry.get(args.model);  // unknown model: exit 2 before any work
  Params given = Params::object();
  for (const auto& a : args.params) {
    auto [k, v] = parse_param_assignment(family, a);
    given[k] = v;
  }
  resolve_params(family, given);
  Project project = Project::open(args.dir);
  ctx.seed = project.config.seed;
  ProjectData data = load_project_data(project, ctx);
  TrainRequest req{args.model, given, std::nullopt, {}, {}};
  TrainOutcome r;
  {
    // On a terminal, a bar over the rounds or epochs (on stderr under --json); none on a pipe.
    ProgressFeed feed(ctx, progress_stream(ctx, args.json), "training " + family.name);
    r = train_run(project, data, registry, req, ctx);
  }
  const std::string& metric = project.config.metric;
  if (args.json) {
    ctx.out() << run_to_json(*project.store, r.record, metric).dump() << '\n';
  } else {
    auto& out = ctx.out();
    for (const auto& n : r.notes) fmt::print(out, "note: {}\n", n);
    fmt::print(out, "run {}  {}  {}  {} in {:.2f} s\n", r.run, family.name, r.record.params.dump(), r.record.status,
               r.record.seconds);
    if (!r.fit.reason.empty()) fmt::print(out, "  reason: {}\n", r.fit.reason);
    if (r.fit.best_step >= 0 && uses_early_stopping(family, r.record.params))
      fmt::print(out, "  kept round/epoch {} (early stopping on a slice of train{})\n", r.fit.best_step,
                 r.refitted ? "; then fitted again on every training row" : "");
    if (!r.errors.empty()) {
      fmt::print(out, "  {:<10} {:>10}  {:<20}\n", "split", metric, "95% interval");
      for (const char* s : {"train", "train_dev", "dev"}) {
        auto it = r.errors.find(s);
        if (it == r.errors.end()) continue;
        fmt::print(out, "  {:<10} {:>10}  [{}, {}]\n", s, fmt_value(it->second.value), fmt_value(it->second.low), fmt_value(it->second.high));
      }
      fmt::print(out, "  ({} as a loss; the test split is never used here)\n", metric);
    }
  }
  return r.fit.status == "done" || r.fit.status == "stopped" ? 0 : static_cast<int>(ExitCode::failed);
}

}  // namespace mlloop::cli
