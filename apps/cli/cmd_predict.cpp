#include <fmt/format.h>
#include <fmt/ostream.h>

#include <numeric>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/model/trainer.hpp"

namespace mlloop::cli {

int run_predict(const PredictArgs& args, Context& ctx) {
  Project project = Project::open(args.dir);
  std::optional<int64_t> id = args.run ? args.run : incumbent(*project.store, project.config.metric);
  if (!id) throw_bad_input("the project has no finished run to predict with", "train one first: mlloop train --model gbdt");
  auto run = project.store->run(*id);
  if (!run) throw_bad_input(fmt::format("no run {} in this project", *id), "see mlloop runs");
  if (run->artifact.empty())
    throw_bad_input(fmt::format("run {} has no model ({})", *id, run->status), "pick a finished run: see mlloop runs");
  Registry registry;
  register_builtins(registry);
  Artifact a = read_artifact(run->artifact, registry);
  CsvReport report;
  CsvOptions csv_options = project_csv_options(project, ctx);
  csv_options.skip_hint.clear();  // predict takes no --on-bad-rows: every row gets its prediction
  Dataset ds = read_csv(args.data, csv_options, &report);
  // How the file was read (numbers with a decimal comma, dates day first, a column read as
  // text), on stderr: stdout is the predictions' CSV.
  if (!ctx.quiet)
    for (const auto& n : report.notes) fmt::print(ctx.err(), "note: {}: {}\n", args.data, n);
  std::vector<size_t> rows(ds.rows());
  std::iota(rows.begin(), rows.end(), size_t{0});
  a.pipeline.check_dates(ds, rows);  // a value of a date column that is no date: named, exit 2, as for numbers
  Matrix x = a.pipeline.transform(ds, rows);
  // A category the model never saw is predicted as if the value were missing: said, since
  // a new code or a typo ("Femle") moves the prediction without an error.
  if (!ctx.quiet)
    for (const auto& u : a.pipeline.unseen_categories(ds, rows))
      fmt::print(ctx.err(), "note: {}: column '{}': {} of {} rows hold a value the training rows never held (first: '{}'); "
                            "they are predicted as if it were missing\n",
                 args.data, u.column, u.rows, rows.size(), u.example);
  std::vector<float> out = a.model->predict(x);
  auto& o = ctx.out();
  const auto& classes = a.pipeline.classes();
  const bool cls = a.pipeline.shape().classification;
  o << "row_id,prediction";
  if (cls)
    for (const auto& c : classes) o << ',' << csv_field("p_" + c);
  o << '\n';
  for (size_t i = 0; i < rows.size(); ++i) {
    o << ds.row_id(i) << ',';
    if (cls) {
      const float* p = out.data() + i * classes.size();
      size_t best = static_cast<size_t>(std::max_element(p, p + classes.size()) - p);
      o << csv_field(classes[best]);
      for (size_t k = 0; k < classes.size(); ++k) o << ',' << fmt::format("{:.6g}", p[k]);
    } else {
      o << fmt::format("{:.8g}", out[i]);
    }
    o << '\n';
  }
  return 0;
}

}  // namespace mlloop::cli
