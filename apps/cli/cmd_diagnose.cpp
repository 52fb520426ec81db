#include <fmt/format.h>
#include <fmt/ostream.h>

#include "commands.hpp"
#include "mlloop/analyze/diagnosis.hpp"
#include "mlloop/core/progress.hpp"
#include "mlloop/model/model.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::cli {

int run_diagnose(const DiagnoseArgs& args, Context& ctx) {
  Project project = Project::open(args.dir);
  ctx.seed = project.config.seed;
  Registry registry;
  register_builtins(registry);
  nlohmann::json d;
  {
    // The analyses fit models (minutes on a large table, the first time: results are cached
    // per run): on a terminal a bar follows each fit (on stderr under --json); none on a pipe.
    ProgressFeed feed(ctx, progress_stream(ctx, args.json), "analyzing");
    d = diagnose(project, args.run, registry, ctx);
  }
  project.store->set_meta("last_bottleneck", d["bottleneck"].get<std::string>());
  if (args.json) {
    ctx.out() << d.dump() << '\n';
    return 0;
  }
  auto& out = ctx.out();
  const std::string metric = d["metric"];
  fmt::print(out, "diagnosis of run {} ({} as a loss, 95% intervals{})\n", d["run"].get<int64_t>(), metric,
             d["estimated_by"] == "cv" ? "; errors from repeated k-fold cross-validation: dev is small" : "");
  for (const char* s : {"optimal", "train", "train_dev", "dev", "test"}) {
    const auto& e = d["errors"][s];
    if (e.is_null() && std::string(s) == "test") continue;  // the test set not looked at yet
    if (e.is_null()) {
      fmt::print(out, "  {:<10} -\n", s);
      continue;
    }
    fmt::print(out, "  {:<10} {}  [{}, {}]{}\n", s, fmt_value(e["value"].get<double>()), fmt_value(e["low"].get<double>()),
               fmt_value(e["high"].get<double>()), e.contains("source") ? fmt::format("  ({})", e["source"].get<std::string>()) : "");
  }
  fmt::print(out, "gaps\n");
  for (const char* g : {"avoidable_bias", "variance", "data_mismatch", "dev_overfit"}) {
    const auto& v = d["gaps"][g];
    if (v.is_null() && std::string(g) == "dev_overfit") continue;  // measured once the test set is looked at
    fmt::print(out, "  {:<15} {}\n", g, v.is_null() ? std::string("-") : fmt::format("{}{}", v.get<double>() >= 0 ? "+" : "", fmt_value(v.get<double>())));
  }
  fmt::print(out, "bottleneck: {}\n", d["bottleneck"].get<std::string>());
  for (const auto& f : d["findings"])
    fmt::print(out, "  [{}] {} {}\n      why: {}\n      fix: {}\n", f["severity"].get<std::string>(), f["code"].get<std::string>(),
               f["summary"].get<std::string>(), f["why"].get<std::string>(), f["fix"].get<std::string>());
  for (const auto& r : d["recommendations"])
    fmt::print(out, "next: {} ({})\n", r["remedy"].get<std::string>(), r["reason"].get<std::string>());
  return 0;
}

}  // namespace mlloop::cli
