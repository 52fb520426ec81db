#include "mlloop/analyze/diagnosis.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "mlloop/analyze/analyses.hpp"
#include "mlloop/analyze/bound.hpp"
#include "mlloop/analyze/cv.hpp"
#include "mlloop/analyze/learning_curve.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/loop/loop.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/pipeline.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/project/project_data.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop {

namespace {
using json = nlohmann::json;

struct Err {
  double value, low, high;
  double half() const { return (high - low) / 2; }
};

std::optional<Err> split_error(Store& store, int64_t run, const std::string& split, const std::string& metric) {
  auto m = store.run_metrics(run);
  auto s = m.find(split);
  if (s == m.end() || !s->second.count(metric)) return std::nullopt;
  const MetricRecord& r = s->second.at(metric);
  double v = metrics::as_loss(metric, r.value);
  double a = metrics::as_loss(metric, r.low.value_or(r.value)), b = metrics::as_loss(metric, r.high.value_or(r.value));
  return Err{v, std::min(a, b), std::max(a, b)};
}

json err_json(const std::optional<Err>& e) {
  if (!e) return nullptr;
  return {{"value", e->value}, {"low", e->low}, {"high", e->high}};
}

json finding(const std::string& code, const std::string& severity, const std::string& summary, json evidence,
             const std::string& why, const std::string& fix) {
  return {{"code", code}, {"severity", severity}, {"summary", summary}, {"evidence", std::move(evidence)}, {"why", why}, {"fix", fix}};
}

// v2 (2026-12-05): the bound measures on a seeded 20,000 rows above that size, and a failed
// Gamma test no longer puts a regression optimum at 0. v3: the regression lower end and
// estimate account for the Gamma test's extrapolation. v4: so does the classification lower
// end (Cover–Hart on the extrapolated 1-NN error). v5: that lower end allows for the 1-NN
// error's sampling error. v6: with more than two classes the estimate reads the 1-NN error as
// two classes competing, and the upper end's linear model fits one softmax. v7: a lower end
// above the upper one leaves the bracket open ([0, upper end]) instead of closing it there. v8:
// the classification lower end extrapolates the neighbours' disagreement in the distance, not
// its square. v9: a lower end just above the upper one closes the bracket on the upper end when
// the neighbours' own 10-NN vote errs no more than 1.25x it. v10: the upper end is also at most
// the best constant's loss. v11: on a group split, the upper end's folds keep each group whole.
// A project's earlier estimate is redone.
std::string optimal_key(const ProjectConfig& c) { return fmt::format("optimal_estimate:v11:{}:{}", c.metric, c.seed); }

// On a group split, the group code of each row of `parts` (their positions in order), codes
// shared through `index`; empty on another split, or where a part's file lacks the column.
std::vector<uint32_t> group_codes(const ProjectConfig& cfg, const std::vector<const SplitPart*>& parts,
                                  std::map<std::string, uint32_t>& index) {
  std::vector<uint32_t> out;
  if (cfg.split.method != SplitMethod::group) return out;
  for (const SplitPart* part : parts) {
    const Column* col = nullptr;
    for (const auto& c : part->data->columns)
      if (c.name == cfg.split.column) col = &c;
    if (!col) return {};
    for (size_t pos : part->positions)
      out.push_back(index.emplace(col->text(pos), static_cast<uint32_t>(index.size())).first->second);
  }
  return out;
}

// The project's data for one diagnosis: the caller's, else read from the files on first need.
class DataOnce {
 public:
  DataOnce(const Project& project, Context& ctx, const ProjectData* given) : project_(project), ctx_(ctx), given_(given) {}
  const ProjectData& get() {
    if (given_) return *given_;
    if (!own_) own_.emplace(load_project_data(project_, ctx_));
    return *own_;
  }

 private:
  const Project& project_;
  Context& ctx_;
  const ProjectData* given_;
  std::optional<ProjectData> own_;
};

// How many of the loop's iterations accepted a change: the choices made on dev.
int64_t accepted_changes(Store& store) {
  int64_t n = 0;
  for (const auto& it : store.iterations()) n += it.state == "finished" && it.accepted;
  return n;
}

// The diagnosis's "optimal" object.
json bound_json(double value, double low, double high, const char* source) {
  return {{"value", value}, {"low", low}, {"high", high}, {"source", source}};
}

// The optimal-error estimate for the project's training rows, cached in the store; computed
// when not cached only if `compute`.
//
// For a run whose recipe leaves columns out (drop_drifting_features), the estimate is that of
// the features it keeps, cached apart: with the dropped column in, the optimum of a table whose
// x2 stood in for the label in train only was 3.75%, and the run without x2 (16.5%, at the
// optimum of what is left) read as an avoidable bias of 14 points for the rest of the loop.
std::optional<OptimalBound> optimal_estimate(Project& project, const Registry& registry, Context& ctx, bool compute, DataOnce& once,
                                             std::vector<std::string> drop_columns) {
  const std::string& metric = project.config.metric;
  if (metric != "error" && metric != "rmse" && metric != "mae") return std::nullopt;
  std::sort(drop_columns.begin(), drop_columns.end());
  std::string key = optimal_key(project.config);
  if (!drop_columns.empty()) key += fmt::format(":without:{}", fmt::join(drop_columns, "\x1f"));
  if (auto cached = project.store->meta(key)) {
    json j = json::parse(*cached);
    return OptimalBound{j["value"], j["low"], j["high"], j["method"], j["evidence"]};
  }
  if (!compute) return std::nullopt;
  const ProjectData& data = once.get();
  const SplitPart& train = data.data_part(SplitName::train);
  Pipeline pipe;
  // A category of more than 16 levels stays one column of codes here, as the models' pipeline
  // had it before it one-hot their frequent levels: on one-hot levels the weighted 1-NN's
  // error often lands above the best out-of-fold loss, which leaves the bracket open where the
  // codes' neighbours closed it (120 levels, 30,000 rows: the loop then ran three more
  // iterations to the same model).
  Pipeline::Options codes;
  codes.min_level_rows = std::numeric_limits<size_t>::max();
  codes.group_column = project.config.split.group_column();
  codes.drop_columns = drop_columns;
  pipe.fit(*train.data, train.positions, project.config.target, is_classification(project.config.task), codes);
  std::map<std::string, uint32_t> index;
  const std::vector<uint32_t> groups = group_codes(project.config, {&train}, index);
  OptimalBound b = estimate_optimal_error(pipe.transform(*train.data, train.positions), pipe.target(*train.data, train.positions),
                                          pipe.shape(), registry, ctx, metric == "mae", groups.empty() ? nullptr : &groups);
  project.store->set_meta(key, json{{"value", b.value}, {"low", b.low}, {"high", b.high}, {"method", b.method},
                                    {"evidence", b.evidence}}.dump());
  return b;
}
}  // namespace

Matrix dev_features(const Pipeline& pipe, const ProjectData& data, std::vector<float>* y) {
  Matrix out;
  for (const auto& part : data.splits.at(SplitName::dev)) {
    out.append_rows(pipe.transform(*part.data, part.positions));
    if (y) {
      auto t = pipe.target(*part.data, part.positions);
      y->insert(y->end(), t.begin(), t.end());
    }
  }
  return out;
}

json optimal_bound_json(const ProjectConfig& cfg, Store& store) {
  if (cfg.reference_error) return bound_json(*cfg.reference_error, *cfg.reference_error, *cfg.reference_error, "reference");
  if (cfg.metric != "error" && cfg.metric != "rmse" && cfg.metric != "mae") return nullptr;
  auto cached = store.meta(optimal_key(cfg));
  if (!cached) return nullptr;
  json j = json::parse(*cached);
  return bound_json(j["value"], j["low"], j["high"], "estimated");
}

namespace {
// The trees' pipeline (raw numbers, NaN, category codes) fitted on `rows` of the training data:
// the features the data analyses and the leakage check read.
Pipeline trees_pipeline(const Project& project, const SplitPart& train, const std::vector<size_t>& rows,
                        std::vector<std::string> drop_columns = {}) {
  Pipeline pipe;
  Pipeline::Options trees;
  trees.standardize = false;
  trees.drop_columns = std::move(drop_columns);
  trees.group_column = project.config.split.group_column();
  pipe.fit(*train.data, rows, project.config.target, is_classification(project.config.task), trees);
  return pipe;
}
}  // namespace

AnalysisInputs analysis_inputs(const Project& project, const ProjectData& data) {
  const SplitPart& train = data.data_part(SplitName::train);
  const bool cls = is_classification(project.config.task);
  const Pipeline pipe = trees_pipeline(project, train, train.positions);
  AnalysisInputs in;
  AnalysisData& d = in.train;
  d.x = pipe.transform(*train.data, train.positions);
  Pipeline std_pipe;
  Pipeline::Options std_opt;
  std_opt.group_column = project.config.split.group_column();
  std_pipe.fit(*train.data, train.positions, project.config.target, cls, std_opt);
  d.x_std = std_pipe.transform(*train.data, train.positions);
  d.y = pipe.target(*train.data, train.positions);
  d.shape = pipe.shape();
  d.row_ids = train.row_ids;
  d.class_names = pipe.classes();
  std::vector<size_t> feature_cols;
  for (size_t c = 0; c < train.data->cols(); ++c)
    if (train.data->columns[c].name != project.config.target) feature_cols.push_back(c);
  d.raw.reserve(train.positions.size());
  for (size_t pos : train.positions) {
    std::vector<std::string> cells;
    for (size_t c : feature_cols) cells.push_back(train.data->columns[c].text(pos));
    d.raw.push_back(std::move(cells));
  }
  // The shift's domain classifier reads categories coded over train and dev together, where
  // both come from the data file. Coded from train alone, a dev row's level that no training
  // row holds reads as missing, and on a random split a column of many levels then tells dev
  // from train by its rare levels alone: 1,000 levels on 3,000 rows put the adversarial AUC at
  // 0.64, a free-text column at 0.97. (A separate dev file keeps train's coding: its levels
  // that train never holds are a difference of the files.)
  //
  // The column a time or group split was made on differs between train and dev by construction
  // (later dates, other groups): left in, it told them apart with an AUC of 1.0 on every such
  // project, and MLL-S01 warned each time. The shift's pipeline leaves it out (while another
  // feature remains).
  ShiftInput& s = in.shift;
  s.train_x = d.x;
  s.dev_x = dev_features(pipe, data, &in.dev_y);
  const std::string& by = project.config.split.column;
  const auto sources = pipe.feature_sources();
  const bool drop_by = !by.empty() && std::any_of(sources.begin(), sources.end(), [&](const auto& f) { return f.first == by; }) &&
                       std::any_of(sources.begin(), sources.end(), [&](const auto& f) { return f.first != by; });
  const auto& dev_parts = data.splits.at(SplitName::dev);
  const bool one_file =
      !dev_parts.empty() && std::all_of(dev_parts.begin(), dev_parts.end(), [&](const SplitPart& p) { return p.data == train.data; });
  const Pipeline* shift_pipe = &pipe;
  Pipeline own;
  if (one_file || drop_by) {
    std::vector<size_t> rows = train.positions;
    if (one_file)
      for (const auto& part : dev_parts) rows.insert(rows.end(), part.positions.begin(), part.positions.end());
    std::sort(rows.begin(), rows.end());
    own = trees_pipeline(project, train, rows, drop_by ? std::vector<std::string>{by} : std::vector<std::string>{});
    s.train_x = own.transform(*train.data, train.positions);
    s.dev_x = dev_features(own, data, nullptr);
    shift_pipe = &own;
  }
  std::map<std::string, uint32_t> index;
  s.train_groups = group_codes(project.config, {&train}, index);
  std::vector<const SplitPart*> devs;
  for (const auto& part : dev_parts) devs.push_back(&part);
  s.dev_groups = group_codes(project.config, devs, index);
  s.feature_names = shift_pipe->feature_names();
  for (const auto& [col, cat] : shift_pipe->feature_sources()) {
    s.columns.push_back(col);
    s.categorical.push_back(cat);
  }
  return in;
}

namespace {
// v3: regression label issues binned; 3 folds above 50,000 rows. v4: the label issues' linear
// model sees a many-level category's frequent levels one-hot. v5: classification suspects cut
// to the most confident decile's disagreement when that is well below their count. v6: none
// when that decile is no better than chance (`unchecked`). v7: the shift codes categories over
// train and dev together (one data file). v8: the shift leaves out a time or group split's column.
// v9: on a group split, the shift's folds keep each group whole; every label suspect's details
// are kept (they were cut at 100, and inspect labels could show no more).
constexpr size_t kDetailsShown = 100;
std::string data_analyses_key(const ProjectConfig& c) { return fmt::format("data_analyses:v9:{}", c.seed); }
}  // namespace

std::optional<json> cached_data_analyses(Project& project) {
  if (auto cached = project.store->meta(data_analyses_key(project.config))) return json::parse(*cached);
  return std::nullopt;
}

// The data analyses (memorization, label issues, shift) depend on the data and the seed only:
// computed once per project and cached in the store. Without `memorization` the check is left
// out (null); a later call that wants it adds it to what is cached.
namespace {
json data_analyses_once(Project& project, const Registry& registry, Context& ctx, bool memorization, DataOnce& once) {
  const std::string key = data_analyses_key(project.config);
  std::optional<json> cached = cached_data_analyses(project);
  if (cached && (!memorization || !(*cached)["memorization"].is_null())) return std::move(*cached);
  const ProjectData& data = once.get();
  AnalysisInputs in = analysis_inputs(project, data);
  json out = cached ? std::move(*cached) : json::object();
  out["memorization"] = memorization ? memorization_check(in.train, registry, ctx) : json(nullptr);
  if (!cached) {
    out["label_issues"] = label_issues(in.train, registry, ctx);
    out["shift"] = shift_analysis(in.shift, registry, ctx);
  }
  project.store->set_meta(key, out.dump());
  return out;
}
// The leakage check (leakage.cpp): no model fitted, about a second on 170,000 rows x 54, so it
// runs with every diagnosis that may fit (the loop's first analysis included, which leaves the
// costly data analyses out), cached per project. On at most 200,000 training rows, every k-th.
// Not started past the loop's deadline (its share of a time budget for the analysis).
json leakage_once(Project& project, Context& ctx, DataOnce& once, bool compute) {
  // v2: a value judged on its ranks; v3: a category's levels each their own bin.
  const std::string key = fmt::format("leakage:v3:{}", project.config.seed);
  if (auto cached = project.store->meta(key)) return json::parse(*cached);
  if (!compute || ctx.deadline_passed()) return nullptr;
  const ProjectData& data = once.get();
  const SplitPart& train = data.data_part(SplitName::train);
  std::vector<size_t> rows;
  const size_t step = train.positions.size() / 200000 + 1;
  for (size_t i = 0; i < train.positions.size(); i += step) rows.push_back(train.positions[i]);
  const Pipeline pipe = trees_pipeline(project, train, rows);
  std::vector<std::string> columns;
  for (const auto& [col, categorical] : pipe.feature_sources()) columns.push_back(col);
  json out = leakage_check(pipe.transform(*train.data, rows), pipe.target(*train.data, rows), pipe.shape(), columns,
                           pipe.feature_names());
  project.store->set_meta(key, out.dump());
  return out;
}
}  // namespace

json data_analyses(Project& project, const Registry& registry, Context& ctx, bool memorization, const ProjectData* given) {
  DataOnce once(project, ctx, given);
  return data_analyses_once(project, registry, ctx, memorization, once);
}

// The learning curve's cache key. v2: measured in the project's metric (it was the error rate or
// RMSE whatever the metric).
namespace {
// v3: on small data (uses_cv, dev in the pool) measured out of fold, with what sets the folds
// and the last point (the mean over the repeats: cv_repeat_rows) in the key; on the dev split
// otherwise.
// v4 (cv only): a recipe's dropped rows count in the smaller sizes' train error too.
// v5 (both): the power law is fitted with each point weighed by its precision.
// v6 (both): the fit's asymptote held at or above the optimal error's lower end (`floor`,
// part of the key: a curve computed before the bound is estimated is computed again after).
// v7: a refitted gbdt's train error counts its early-stopping slice. v8: for mae, linear's fits
// find the least absolute error, as its runs do.
std::string curve_key(const ProjectConfig& c, Store& store, int64_t run, double floor) {
  // The curve is in the project's metric, which mlloop.toml may change: it is part of the key.
  return uses_cv(c, store)
             ? fmt::format("learning_curve:v8:{}:cv:{}:{}x{}:{}:{:.9g}:{}", run, c.seed, c.cv_repeats, c.cv_folds, cv_repeat_rows(c), floor, cached_metric_name(c))
             : fmt::format("learning_curve:v8:{}:split:{:.9g}:{}", run, floor, cached_metric_name(c));
}
}  // namespace

// The learning curve of a run's family and params, cached per run and floor (the optimal
// error's lower end, or 0).
json run_learning_curve(Project& project, const RunRecord& run, const Registry& registry, Context& ctx, DataOnce& once,
                        double floor) {
  std::string key = curve_key(project.config, *project.store, run.id, floor);
  if (auto cached = project.store->meta(key)) return json::parse(*cached);
  const ProjectData& data = once.get();
  const auto finish = [&](json curve) {
    curve["model"] = run.model;
    curve["loss"] = metrics::higher_is_better(project.config.metric) ? "1 - " + project.config.metric : project.config.metric;
    project.store->set_meta(key, curve.dump());
    return curve;
  };
  // On small data the dev error the diagnosis reports is the pooled out-of-fold one, and so is
  // the curve's (a curve on the small dev split would forecast against another "now").
  // A fold that fails (an mlp diverging on a small subset) leaves the curve to the dev split.
  if (uses_cv(project.config, *project.store)) {
    try {
      if (auto curve = learning_curve_cv(project, data, run, registry, ctx, floor)) return finish(std::move(*curve));
    } catch (const BudgetExhausted&) {
      throw;
    } catch (const std::runtime_error&) {
    }
  }
  const SplitPart& train = data.data_part(SplitName::train);
  const Family& family = registry.get(run.model);
  Pipeline pipe;
  Pipeline::Options opt;
  opt.standardize = family.standardize;
  opt.group_column = project.config.split.group_column();
  pipe.fit(*train.data, train.positions, project.config.target, is_classification(project.config.task), opt);
  CurveInput in;
  in.train_x = pipe.transform(*train.data, train.positions);
  in.train_y = pipe.target(*train.data, train.positions);
  in.dev_x = dev_features(pipe, data, &in.dev_y);
  in.shape = fit_shape(pipe, project.config.metric);  // as the run fitted
  in.family = run.model;
  in.params = run.params;
  in.metric = project.config.metric;
  in.floor = floor;
  if (in.shape.classification) in.positive = positive_class(project.config, pipe, in.train_y);
  if (run.status == "done" && Recipe::from_json(run.config.value("recipe", json::object())).empty()) {
    auto tr = split_error(*project.store, run.id, "train", in.metric), dv = split_error(*project.store, run.id, "dev", in.metric);
    if (tr && dv) in.full = std::make_pair(tr->value, dv->value);
  }
  return finish(learning_curve(in, registry, ctx));
}

json diagnose(Project& project, std::optional<int64_t> run_id, const Registry& registry, Context& ctx,
              const DiagnoseOptions& options) {
  const ProjectConfig& cfg = project.config;
  const std::string& metric = cfg.metric;
  if (!run_id) run_id = project.store->incumbent(metric, !metrics::higher_is_better(metric));
  if (!run_id) throw_bad_input("the project has no finished run to diagnose", "train one first: mlloop train --model baseline");
  auto run = project.store->run(*run_id);
  if (!run) throw_bad_input(fmt::format("no run {} in this project", *run_id), "see mlloop runs");
  if (run->status != "done" && run->status != "stopped")
    throw_bad_input(fmt::format("run {} has no metrics ({})", *run_id, run->status), "pick a finished run: see mlloop runs");

  DataOnce once(project, ctx, options.data);
  auto train = split_error(*project.store, *run_id, "train", metric);
  auto train_dev = split_error(*project.store, *run_id, "train_dev", metric);
  auto dev = split_error(*project.store, *run_id, "dev", metric);
  json findings = json::array();

  // Small data: the errors come from repeated k-fold cross-validation (see cv.hpp).
  std::string estimated_by = "split";
  bool mismatch_measurable = true;
  if (uses_cv(cfg, *project.store)) {
    const int64_t dev_rows = project.store->split_counts()[SplitName::dev];
    json split_errors = {{"train", err_json(train)}, {"train_dev", err_json(train_dev)}, {"dev", err_json(dev)}};
    // Without fitting, the cross-validated errors are there once a diagnosis of this run has
    // computed them (it caches every repeat, then the errors).
    if (!options.fit && !cached_cv_errors(cfg, *project.store, *run_id)) {
      findings.push_back(finding("MLL-I03", "info",
                                 fmt::format("dev has {} rows: these are the frozen splits' errors; the cross-validated ones "
                                             "are not computed yet", dev_rows),
                                 json{{"dev_rows", dev_rows}, {"split_errors", split_errors}},
                                 "a loop is running on the project: this view fits nothing of its own, and the loop "
                                 "cross-validates each incumbent in its next analysis",
                                 "wait for the loop's next iteration, or run mlloop diagnose once it has stopped"));
    } else {
      try {
        CvResult cv = cross_validate(project, once.get(), *run, registry, ctx);
        save_cv_errors(cfg, *project.store, *run_id, cv);
        train = Err{cv.train.value, cv.train.low, cv.train.high};
        train_dev = Err{cv.out_of_fold.value, cv.out_of_fold.low, cv.out_of_fold.high};
        if (!cv.dev_separate) dev = train_dev;
        // CONTRACT.md: in this mode data_mismatch is null unless dev comes from its own file. A
        // time split's dev (the latest rows, kept out of the pool) still keeps its own error.
        mismatch_measurable = cv.dev_separate && !cfg.dev_data.empty();
        estimated_by = "cv";
        findings.push_back(finding(
            "MLL-I01", "info",
            fmt::format("dev has {} rows: the errors come from {}x {}-fold cross-validation over {} rows ({})", dev_rows,
                        cv.repeats, cv.folds, cv.rows, cv.pool),
            json{{"cv", cv.to_json()}, {"split_errors", split_errors}},
            mismatch_measurable ? "a small dev set gives wide intervals; train is the mean in-fold error and train-dev the pooled "
                                  "out-of-fold error over the rows of train's distribution, while dev keeps its own rows"
            : cv.dev_separate   ? "a small dev set gives wide intervals; train is the mean in-fold error and train-dev the pooled "
                                  "out-of-fold error over the earlier rows, while dev keeps its own, later rows; data mismatch is "
                                  "reported only for a dev set from its own file (--dev-data)"
                                : "a small dev set gives wide intervals; train is the mean in-fold error, train-dev and dev the "
                                  "pooled out-of-fold error, so data mismatch is not measured",
            "more dev rows narrow the frozen split's interval; [analyze] cv_below in mlloop.toml sets the threshold"));
      } catch (const BudgetExhausted&) {
        throw;
      } catch (const std::exception& e) {
        findings.push_back(finding("MLL-I02", "warn", fmt::format("small-data cross-validation failed: {}", e.what()),
                                   json{{"dev_rows", dev_rows}, {"split_errors", split_errors}},
                                   "the errors come from the frozen splits, whose intervals are wide on a small dev set",
                                   "check the run's parameters; or set [analyze] cv_below = 0 in mlloop.toml"));
      }
    }
  }

  // The optimal error: a reference the user gave, else an estimate (error, rmse and mae).
  json optimal = nullptr;
  std::optional<Err> opt;
  if (cfg.reference_error) {
    opt = Err{*cfg.reference_error, *cfg.reference_error, *cfg.reference_error};
    optimal = bound_json(opt->value, opt->low, opt->high, "reference");
  } else if (auto b = optimal_estimate(project, registry, ctx, options.optimal_estimate && options.fit, once,
                                       Recipe::from_json(run->config.value("recipe", json::object())).drop_columns)) {
    opt = Err{b->value, b->low, b->high};
    optimal = bound_json(b->value, b->low, b->high, "estimated");
    findings.push_back(finding("MLL-O01", "info",
                               fmt::format("optimal {} estimated at {} (between {} and {})", metric, fmt_value(b->value), fmt_value(b->low), fmt_value(b->high)),
                               json{{"method", b->method}, {"evidence", b->evidence}},
                               "avoidable bias is measured against this bound; a human-level or existing-system error is a better reference when one is known",
                               "set [task] reference_error in mlloop.toml, or pass --reference-error to init"));
  } else if (metric == "error" || metric == "rmse" || metric == "mae") {
    findings.push_back(finding("MLL-O03", "info", fmt::format("the optimal {} is not estimated yet", metric), json::object(),
                               "without the bound avoidable bias is not measured; the estimate fits several models and did not "
                               "fit in this analysis's share of the time budget",
                               "run mlloop diagnose, or mlloop run with a longer --time-budget: the estimate is then cached"));
  } else {
    findings.push_back(finding("MLL-O02", "info", fmt::format("no optimal-error estimate for metric {}", metric), json::object(),
                               "the bound is estimated for error, rmse and mae; for this metric it comes only from a reference",
                               "set [task] reference_error in mlloop.toml"));
  }

  // The gaps, each with its noise: half-widths of the two intervals it is made from,
  // combined as independent (the splits hold different rows).
  auto gap = [](const std::optional<Err>& hi, const std::optional<Err>& lo) -> std::optional<std::pair<double, double>> {
    if (!hi || !lo) return std::nullopt;
    return std::make_pair(hi->value - lo->value, std::sqrt(hi->half() * hi->half() + lo->half() * lo->half()));
  };
  // The test error: the latest look at the test set (mlloop test) of this run, else null. Dev
  // overfitting is the test error less the dev error the decisions were made on. The loop never
  // reads it (DiagnoseOptions::test_looks).
  // A look in another metric (before an edit of [task] metric) is none in this one.
  std::optional<Err> test;
  if (options.test_looks)
    for (const auto& look : project.store->test_looks())
      if (look.run == *run_id && (look.metric.empty() || look.metric == metric)) test = Err{look.value, look.low, look.high};
  std::vector<std::pair<std::string, std::optional<std::pair<double, double>>>> gaps = {
      {"avoidable_bias", gap(train, opt)},
      {"variance", gap(train_dev, train)},
      {"data_mismatch", mismatch_measurable ? gap(dev, train_dev) : std::nullopt},
      {"dev_overfit", gap(test, dev)}};
  json gaps_json = json::object();
  std::string bottleneck = "none";
  double largest = 0;
  json noise = json::object();
  for (const auto& [name, g] : gaps) {
    gaps_json[name] = g ? json(g->first) : json(nullptr);
    if (!g) continue;
    noise[name] = g->second;
    if (g->first > g->second && g->first > largest) {
      largest = g->first;
      bottleneck = name;
    }
  }
  bool goal_met = cfg.goal && dev && dev->value <= *cfg.goal;
  if (goal_met) bottleneck = "none";

  json evidence = {{"train", err_json(train)}, {"train_dev", err_json(train_dev)}, {"dev", err_json(dev)},
                   {"optimal", optimal}, {"gaps", gaps_json}, {"noise", noise}, {"model", run->model}};
  auto pct = [&](double v) { return metric == "error" ? fmt::format("{:.1f}%", 100 * v) : fmt::format("{:.4g}", v); };
  if (goal_met) {
    findings.push_back(finding("MLL-G01", "info", fmt::format("dev {} {} meets the goal {}", metric, pct(dev->value), pct(*cfg.goal)),
                               evidence, "the project is ready for its one look at the test set", "run mlloop test once"));
  } else if (bottleneck == "avoidable_bias") {
    bool exact = run->model == "linear" || run->model == "baseline";
    findings.push_back(finding("MLL-B01", "warn",
                               fmt::format("avoidable bias dominates: train {} vs optimal {} (gap {}, noise {})", pct(train->value),
                                           pct(opt->value), pct(largest), pct(noise["avoidable_bias"].get<double>())),
                               evidence, "the model does not fit even its training data as well as the data allow",
                               exact                ? "switch_model_class: a more flexible family (gbdt, mlp)"
                               : run->model == "knn" ? "more_expressive_model, then switch_model_class"
                                                     : "tune_optimizer, then more_expressive_model"));
  } else if (bottleneck == "variance") {
    findings.push_back(finding("MLL-V01", "warn",
                               fmt::format("variance dominates: train-dev {} vs train {} (gap {})", pct(train_dev->value), pct(train->value), pct(largest)),
                               evidence, "the model fits training rows it will not see again: it does not generalize",
                               "regularize, augment, tune_hyperparameters, or more_data"));
  } else if (bottleneck == "data_mismatch") {
    findings.push_back(finding("MLL-M01", "warn",
                               fmt::format("data mismatch dominates: dev {} vs train-dev {} (gap {})", pct(dev->value), pct(train_dev->value), pct(largest)),
                               evidence, "dev comes from a different distribution than train",
                               "reweight_for_shift, drop_drifting_features, or more_data of the dev kind"));
  } else if (bottleneck == "dev_overfit") {
    findings.push_back(finding("MLL-T01", "warn",
                               fmt::format("dev overfitting dominates: test {} vs dev {} (gap {})", pct(test->value), pct(dev->value), pct(largest)),
                               json{{"test", err_json(test)}, {"dev", err_json(dev)}, {"gaps", gaps_json}, {"noise", noise},
                                    {"test_looks", project.store->count_test_looks()}},
                               (accepted_changes(*project.store) > 0
                                    ? std::string("the choices made on dev have fitted its rows: dev no longer predicts the error on new data")
                                    : std::string("test is significantly worse than dev, though no change was accepted on dev (only the "
                                                  "setup's choice of model): dev and test may differ by chance or in what they hold more "
                                                  "than dev was fitted")) +
                                   // On a time split test is the latest period: what changed after dev's
                                   // period shows here too (an audit's drifting table: one accepted change,
                                   // p < 0.002, and test 0.07 above dev, read as dev overfitting alone).
                                   (cfg.split.method == SplitMethod::time
                                        ? "; on this time split test comes after dev, so part of the gap may be drift over time "
                                          "(a later period unlike dev's), which a fresh dev set from the latest period shows"
                                        : ""),
                               "fresh_dev_set: collect new dev rows (and keep the test set for one final look)"));
  } else {
    findings.push_back(finding("MLL-N01", "info", "no gap is larger than its noise", evidence,
                               "the errors are within noise of each other and of the bound", "stop, or gather more data to see further"));
  }
  json mem = nullptr, labels = nullptr, shift = nullptr;
  std::optional<json> analyses;
  if (options.data_analyses)
    analyses = options.fit ? data_analyses_once(project, registry, ctx, options.memorization, once) : cached_data_analyses(project);
  if (analyses) {
    mem = (*analyses)["memorization"];
    labels = (*analyses)["label_issues"];
    // Every suspect's detail is cached (mlloop inspect labels lists them all, as the relabel
    // recommendation says); the diagnosis shows the first 100 of them (`rows` holds every one).
    if (labels.is_object() && labels.contains("details") && labels["details"].size() > kDetailsShown) {
      json first = json::array();
      for (size_t k = 0; k < kDetailsShown; ++k) first.push_back(labels["details"][k]);
      labels["details"] = std::move(first);
    }
    shift = (*analyses)["shift"];
    if (!mem.is_null() && mem["conflicting_duplicates"]["share"].get<double>() > 0.005) {
      findings.push_back(finding("MLL-D01", "error",
                                 fmt::format("{} training rows are conflicting duplicates: identical feature rows with different labels",
                                             mem["conflicting_duplicates"]["count"].get<int64_t>()),
                                 mem["conflicting_duplicates"], "no model can fit both labels of identical rows: they set a floor on the error",
                                 "clean_labels, or relabel the listed rows; or add the features that tell them apart"));
    }
    if (!mem.is_null() && !mem["passed"].get<bool>()) {
      findings.push_back(finding("MLL-Z01", "warn", fmt::format("memorization check failed: {}", mem["cause"].is_null() ? "" : mem["cause"].get<std::string>()),
                                 mem, "a model that cannot fit 256 rows will not fit the whole training set",
                                 "fix what the cause names before adding capacity"));
    }
    double noise_rate = labels["estimated_noise_rate"];
    if (noise_rate > 0.02) {
      // When the flagged share makes up much of the optimal error, the count alone does not
      // say whether the rows are wrong labels or rows no feature decides.
      std::string why = "mislabeled training rows bias the model and inflate the error";
      std::string fix = "clean_labels, then relabel the listed rows";
      auto check_a_sample_first = [](const char* what) {
        return fmt::format("check a sample of the listed rows (mlloop inspect labels) before relabeling; clean_labels is "
                           "judged on dev, whose {} stay as they are",
                           what);
      };
      if (const auto against = flagged_share_against_optimal(metric, noise_rate, opt ? std::optional<double>(opt->value) : std::nullopt)) {
        why = fmt::format("wrong labels bias the model; but confident learning cannot tell a wrong label from a row its "
                          "features do not decide, and the flagged share ({:.1f}%) is {} the optimal error ({:.1f}%, {}): "
                          "many of these rows may be noise no model removes",
                          100 * noise_rate, *against, 100 * opt->value, cfg.reference_error ? "your reference" : "estimated");
        fix = check_a_sample_first("labels");
      }
      if (const auto heavy = heavy_tailed_residuals_caveat(metric, noise_rate)) {
        why = fmt::format("corrupt targets bias the model; but {}", *heavy);
        fix = check_a_sample_first("targets");
      }
      findings.push_back(finding("MLL-L01", noise_rate > 0.1 ? "warn" : "info",
                                 fmt::format("about {:.1f}% of the training labels look wrong ({} rows)", 100 * noise_rate, labels["rows"].size()),
                                 json{{"estimated_noise_rate", noise_rate}, {"first_rows", labels["details"]}}, why, fix));
    }
    if (labels.contains("unchecked") && labels["unchecked"].is_string()) {
      findings.push_back(finding("MLL-L02", "info", "the training labels could not be checked for errors", labels["confident_decile"],
                                 labels["unchecked"].get<std::string>(),
                                 "look for features that carry the target's signal; no label is flagged until a model has one"));
    }
  }
  // A column that alone predicts the target almost exactly (leakage.cpp).
  const json leak = leakage_once(project, ctx, once, options.fit);
  if (leak.is_object() && !leak["flagged"].empty()) {
    const json& flagged = leak["flagged"];
    std::string names;
    for (size_t i = 0; i < flagged.size() && i < 3; ++i)
      names += fmt::format("{}'{}'", i ? ", " : "", flagged[i]["column"].get<std::string>());
    if (flagged.size() > 3) names += fmt::format(" and {} more", flagged.size() - 3);
    // A class: its held-out error rate; a value: how much of its ranks' variance it explains.
    const std::string figures =
        leak["measure"] == "error"
            ? fmt::format("held-out error {:.1f}% where predicting without features gives {:.1f}%",
                          100 * flagged[0]["error"].get<double>(), 100 * leak["baseline"].get<double>())
            : fmt::format("held out, it explains {:.1f}% of the variance of the target's ranks",
                          100 * flagged[0]["explained"].get<double>());
    findings.push_back(finding(
        "MLL-K01", "warn",
        fmt::format("{} {} alone {} the target almost exactly: {}", flagged.size() == 1 ? "column" : "columns", names,
                    flagged.size() == 1 ? "predicts" : "each predict", figures),
        leak,
        "a column this close to the target is often recorded after the outcome or computed from it (target leakage); "
        "if it is not known when a prediction is made, every error measured with it is an illusion",
        "check how the column is made; if it leaks, remove it from the data and init again"));
  }
  json curve = nullptr;
  // No amount of data goes below the optimal error: the curve's forecasts stop at its lower end.
  const double floor = opt ? std::max(0.0, opt->low) : 0.0;
  if (options.learning_curve && options.fit) curve = run_learning_curve(project, *run, registry, ctx, once, floor);
  else if (auto cached = project.store->meta(curve_key(cfg, *project.store, run->id, floor))) curve = json::parse(*cached);
  if (curve.is_null()) {
  } else if (!curve["extrapolated"].get<bool>()) {
    findings.push_back(finding("MLL-C01", "info", fmt::format("the learning curve is not extrapolated: {}", curve["reason"].get<std::string>()),
                               json{{"points", curve["points"]}}, "a curve of the wrong shape gives no honest forecast",
                               "look at the points; more repeats or more data make it smoother"));
  }
  if (!shift.is_null() && shift["low"].get<double>() > 0.6) {
    findings.push_back(finding("MLL-S01", "warn",
                               fmt::format("train and dev differ: a classifier tells them apart with AUC {:.2f}; drifting: {}",
                                           shift["adversarial_auc"].get<double>(), shift["top_features"].dump()),
                               json{{"adversarial_auc", shift["adversarial_auc"]}, {"top_features", shift["top_features"]}},
                               "a model tuned on train may not carry over to dev", "reweight_for_shift or drop_drifting_features"));
  }

  json out = {{"task", to_string(cfg.task)},
          {"metric", metric},
          {"run", *run_id},
          {"errors", {{"optimal", optimal}, {"train", err_json(train)}, {"train_dev", err_json(train_dev)}, {"dev", err_json(dev)}, {"test", err_json(test)}}},
          {"gaps", gaps_json},
          {"bottleneck", bottleneck},
          {"memorization", mem},
          {"learning_curve", curve},
          // null too where the check ran but had no signal to judge the labels by (MLL-L02 says
          // so): a noise rate of 0 there read as clean labels.
          {"label_issues", labels.is_null() || (labels.contains("unchecked") && labels["unchecked"].is_string())
                               ? json(nullptr)
                               : json{{"estimated_noise_rate", labels["estimated_noise_rate"]}, {"rows", labels["rows"]}, {"details", labels["details"]}}},
          {"shift", shift},
          {"estimated_by", estimated_by},
          {"findings", findings}};
  // What to do next is the loop's policy, as the loop would rank it from this diagnosis.
  out["recommendations"] = options.next_steps ? next_steps(project, registry, out, ctx, &once.get()) : json::array();
  return out;
}

}  // namespace mlloop
