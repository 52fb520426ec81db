#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fmt/ostream.h>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/loop/loop.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::cli {

int run_init(const InitOptions& args, Context& ctx) {
  // --force deletes the store a running loop writes to: its finished work would be lost and it
  // would go on writing models of runs no store holds.
  const std::string dir = args.dir.empty() ? std::string(".") : args.dir;
  if (args.force && loop_running(dir))
    throw_bad_input(fmt::format("an mlloop run is working on the project in '{}'", dir),
                    "wait for it to finish (mlloop status shows its progress), or stop it, then init --force");
  InitResult r = init_project(args, ctx);
  auto& out = ctx.out();
  const ProjectConfig& c = r.config;
  for (const auto& s : r.sources) {
    const CsvReport& rep = s.report;
    std::string delim = rep.dialect.delimiter == '\t' ? "tab" : fmt::format("'{}'", rep.dialect.delimiter);
    fmt::print(out, "{:<5} {}: {} rows x {} columns ({:.2f} s; delimiter {}, {})\n", s.role, s.path, with_commas(static_cast<int64_t>(s.rows)),
               s.cols, rep.seconds, delim, rep.dialect.header ? "header" : "no header");
    if (rep.rejected_count > 0) {
      std::vector<int64_t> lines;
      for (size_t i = 0; i < rep.rejected.size() && i < 5; ++i) lines.push_back(rep.rejected[i].line);
      fmt::print(out, "      skipped {} malformed row{} (lines {}{}); first: {}\n", rep.rejected_count,
                 rep.rejected_count == 1 ? "" : "s", fmt::join(lines, ", "), rep.rejected_count > 5 ? ", ..." : "",
                 rep.rejected.front().reason);
    }
    if (s.dropped_missing_target > 0) {
      fmt::print(out, "      dropped {} row{} with a missing target (lines {}{})\n", s.dropped_missing_target,
                 s.dropped_missing_target == 1 ? "" : "s", fmt::join(s.dropped_lines, ", "),
                 s.dropped_missing_target > s.dropped_lines.size() ? ", ..." : "");
    }
    for (const auto& n : rep.notes) fmt::print(out, "      note: {}\n", n);
  }
  fmt::print(out, "task   {}: {}\n", to_string(c.task), r.decision.reason);
  if (!r.decision.hint.empty()) fmt::print(out, "      note: {}\n", r.decision.hint);
  fmt::print(out, "metric {}{}\n", c.metric, args.metric.empty() ? fmt::format(" (default for {})", is_classification(c.task) ? "classification" : "regression") : "");
  // A rare class makes plain error a poor guide: a model that never predicts it loses only
  // its share. Rare means under 10% of the rows and under half a balanced share (so ten or
  // more balanced classes get no note).
  if (c.metric == "error" && r.classes > 0 && r.rarest_share < 0.1 && r.rarest_share < 0.5 / static_cast<double>(r.classes))
    fmt::print(out,
               "      note: class '{}' is {:.1f}% of the rows: a model that never predicts it has an error of about "
               "{:.1f}%; if the rare class matters, init again with --force --metric auc or logloss\n",
               r.rarest_class, 100 * r.rarest_share, 100 * r.rarest_share);
  // Binary f1 counts the rows a model predicts as the positive class, its most probable one
  // (no tuned threshold): on a rare positive class a model that separates it poorly predicts
  // it nowhere, scores 0, and ties every other such model, so f1 cannot rank them.
  if (c.metric == "f1" && r.classes == 2 && r.rarest_share < 0.1 && (!c.positive || *c.positive == r.rarest_class))
    fmt::print(out,
               "      note: f1 scores the class each model finds most probable (a probability threshold of 0.5, not tuned): "
               "class '{}' is {:.1f}% of the rows, and a model that separates it poorly never predicts it, scores F1 0 "
               "and ties the others; auc or logloss compare the probabilities themselves\n",
               r.rarest_class, 100 * r.rarest_share);
  if (c.reference_error) fmt::print(out, "reference error {} (human-level or existing system)\n", *c.reference_error);
  if (c.goal) fmt::print(out, "goal   dev {}\n", goal_text(c.metric, *c.goal));
  fmt::print(out, "split  {}, seed {}\n", c.split.str(), c.seed);
  size_t total = 0;
  for (auto& [s, n] : r.counts) total += n;
  for (SplitName s : kAllSplits) {
    fmt::print(out, "  {:<10} {:>9}  {:5.1f}%\n", to_string(s), with_commas(static_cast<int64_t>(r.counts[s])),
               total ? 100.0 * static_cast<double>(r.counts[s]) / static_cast<double>(total) : 0.0);
  }
  fmt::print(out, "project {} (mlloop.toml, .mlloop/store.db)\n", r.dir);
  return 0;
}

}  // namespace mlloop::cli
