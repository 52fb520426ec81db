#include "mlloop/analyze/cv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "mlloop/analyze/learning_curve.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/parallel_jobs.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/model/augment.hpp"
#include "mlloop/model/pipeline.hpp"
#include "mlloop/model/trainer.hpp"

namespace mlloop {
namespace {
using json = nlohmann::json;

// The project metric's interval as a loss (auc -> 1 - AUC swaps the ends).
metrics::Interval loss_interval(const std::string& metric, const metrics::Predictions& p, uint64_t seed) {
  return metrics::as_loss(metric, metrics::with_interval(metric, p, seed, 200));
}

json interval_json(const metrics::Interval& i) { return {{"value", i.value}, {"low", i.low}, {"high", i.high}}; }
metrics::Interval interval_of(const json& j) { return {j["value"], j["low"], j["high"]}; }

// The pool of rows the folds are cut from: positions in the DATA file, with their row ids.
struct Pool {
  const Dataset* data = nullptr;
  std::vector<size_t> positions;
  std::vector<int64_t> row_ids;
  std::string name;
  bool dev_separate = false;
};

Pool make_pool(const ProjectConfig& cfg, const ProjectData& data) {
  Pool pool;
  const SplitPart& train = data.data_part(SplitName::train);
  pool.data = train.data;
  auto add = [&](const SplitPart& part) {
    pool.positions.insert(pool.positions.end(), part.positions.begin(), part.positions.end());
    pool.row_ids.insert(pool.row_ids.end(), part.row_ids.begin(), part.row_ids.end());
  };
  add(train);
  add(data.data_part(SplitName::train_dev));
  const auto& dev = data.splits.at(SplitName::dev);
  pool.dev_separate = cfg.split.method == SplitMethod::time ||
                      std::any_of(dev.begin(), dev.end(), [](const SplitPart& p) { return p.source != "data"; });
  if (!pool.dev_separate)
    for (const auto& part : dev) add(part);
  pool.name = pool.dev_separate ? "train+train_dev" : "train+train_dev+dev";
  return pool;
}

// Fold of each pool row for one repeat: stratified by class, or whole groups for a group
// split, else shuffled; seeded by the project's seed and the repeat.
std::vector<int> assign_folds(const ProjectConfig& cfg, const Pool& pool, const std::vector<int32_t>& cls, int folds,
                              uint64_t seed) {
  const size_t n = pool.positions.size();
  std::vector<int> fold(n, 0);
  const Column* group = nullptr;
  if (cfg.split.method == SplitMethod::group)
    for (const auto& c : pool.data->columns)
      if (c.name == cfg.split.column) group = &c;
  if (group) {
    std::unordered_map<std::string, size_t> index;
    std::vector<size_t> group_of(n);
    for (size_t i = 0; i < n; ++i) group_of[i] = index.emplace(group->text(pool.positions[i]), index.size()).first->second;
    std::vector<size_t> order(index.size());
    std::iota(order.begin(), order.end(), size_t{0});
    seeded_shuffle(order, seed);
    std::vector<int> fold_of_group(index.size());
    for (size_t k = 0; k < order.size(); ++k) fold_of_group[order[k]] = static_cast<int>(k % static_cast<size_t>(folds));
    for (size_t i = 0; i < n; ++i) fold[i] = fold_of_group[group_of[i]];
    return fold;
  }
  // Stratified: shuffle, then deal the rows of each class round the folds in turn.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  seeded_shuffle(order, seed);
  if (!cls.empty())
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cls[a] < cls[b]; });
  for (size_t k = 0; k < n; ++k) fold[order[k]] = static_cast<int>(k % static_cast<size_t>(folds));
  return fold;
}

struct RepeatResult {
  metrics::Interval train, oof;
  std::vector<float> out;  // out-of-fold outputs over the pool (rows x classes, or values)
};

class CrossValidation {
 public:
  CrossValidation(Project& project, const ProjectData& data, const RunRecord& run, const Registry& registry, Context& ctx)
      : cfg_(project.config), run_(run), family_(registry.get(run.model)), ctx_(ctx), pool_(make_pool(cfg_, data)) {
    classification_ = is_classification(cfg_.task);
    const Column* target = nullptr;
    for (const auto& c : pool_.data->columns)
      if (c.name == cfg_.target) target = &c;
    MLLOOP_ASSERT(target != nullptr);
    // One class encoding for the whole pool (each fold's pipeline has its own).
    std::map<std::string, size_t> counts;
    for (size_t pos : pool_.positions) {
      if (classification_) {
        std::string t = target->text(pos);
        auto [it, added] = class_index_.emplace(t, static_cast<int32_t>(classes_.size()));
        if (added) classes_.push_back(t);
        y_class_.push_back(it->second);
        ++counts[t];
      } else {
        y_value_.push_back(target->values[pos]);
      }
    }
    if (classification_ && classes_.size() == 2)
      positive_ = positive_index(cfg_, classes_, counts[classes_[1]] <= counts[classes_[0]] ? 1 : 0);
    recipe_ = Recipe::from_json(run.config.value("recipe", json::object()));
    std::sort(recipe_.drop_rows.begin(), recipe_.drop_rows.end());
    model_seed_ = run.config.value("seed", ctx.seed);
  }

  const Pool& pool() const { return pool_; }

  metrics::Predictions predictions(const std::vector<float>& out, const std::vector<size_t>& idx) const {
    metrics::Predictions p;
    p.classification = classification_;
    p.positive = positive_;
    if (classification_) {
      p.classes = classes_.size();
      p.proba = out;
      for (size_t i : idx) p.y.push_back(y_class_[i]);
    } else {
      p.value.assign(out.begin(), out.end());
      for (size_t i : idx) p.target.push_back(y_value_[i]);
    }
    return p;
  }

  RepeatResult repeat(int r) {
    const size_t n = pool_.positions.size();
    const int folds = cfg_.cv_folds;
    const uint64_t seed = repeat_seed(r);
    std::vector<int> fold = assign_folds(cfg_, pool_, y_class_, folds, seed);
    const size_t width = output_width();
    RepeatResult res;
    res.out.assign(n * width, 0.f);
    std::vector<size_t> all(n);
    std::iota(all.begin(), all.end(), size_t{0});
    const std::vector<Fold> fds = folds_of(fold, folds);
    if (fds.empty()) throw std::runtime_error("no fold could be fitted");
    const std::vector<FoldOutput> outs = fit_folds(fds, seed, [&](const Fold& fd) { return fd.fit; },
                                                   [&](const Fold& fd) { return fd.dropped; });
    for (size_t k = 0; k < fds.size(); ++k) {
      res.train.value += outs[k].train.value;
      res.train.low += outs[k].train.low;
      res.train.high += outs[k].train.high;
      scatter(outs[k].eval, fds[k].eval, res.out);
    }
    const double fitted = static_cast<double>(fds.size());
    res.train = {res.train.value / fitted, res.train.low / fitted, res.train.high / fitted};
    res.oof = loss_interval(cfg_.metric, predictions(res.out, all), seed);
    return res;
  }

  // The learning curve out of fold: on repeat 0's folds, each fold's model fitted on seeded
  // subsets of its training rows (top/32 ... top/2, top the smallest fold's rows), every pool
  // row predicted once per size. `full` is the run's cross-validation, the curve's last point:
  // each fold's model on all of its rows, the pooled out-of-fold error (the mean over the
  // repeats) the loop judges by; its interval comes from repeat 0's folds, as the others'.
  CurveMeasure curve(const CvResult& full) {
    const size_t n = pool_.positions.size();
    const int folds = cfg_.cv_folds;
    const uint64_t seed = repeat_seed(0);
    std::vector<int> fold = assign_folds(cfg_, pool_, y_class_, folds, seed);
    const size_t width = output_width();
    const std::vector<Fold> fds = folds_of(fold, folds);
    if (fds.empty()) throw std::runtime_error("no fold could be fitted");
    size_t top = fds[0].fit.size();
    double mean_rows = 0;
    for (const Fold& fd : fds) {
      top = std::min(top, fd.fit.size());
      mean_rows += static_cast<double>(fd.fit.size()) / static_cast<double>(fds.size());
    }
    // A fold's loss, from its rows' outputs.
    auto fold_loss = [&](const std::vector<float>& out_of_fold, const Fold& fd) {
      std::vector<float> o;
      o.reserve(fd.eval.size() * width);
      for (size_t i : fd.eval) o.insert(o.end(), out_of_fold.begin() + static_cast<std::ptrdiff_t>(i * width),
                                        out_of_fold.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
      return metrics::as_loss(cfg_.metric, metrics::compute(cfg_.metric, predictions(o, fd.eval)));
    };
    std::vector<size_t> all(n);
    std::iota(all.begin(), all.end(), size_t{0});
    CurveMeasure m;
    m.pooled = true;
    m.dev_by_repeat.resize(fds.size());
    for (size_t s : curve_sizes(top, false)) {
      std::vector<float> out(n * width, 0.f);
      double train = 0;
      auto rows_of = [&](const Fold& fd) {
        std::vector<size_t> rows = fd.fit;
        seeded_shuffle(rows, seed + 1000 * s + static_cast<uint64_t>(fd.index));
        rows.resize(s);
        std::sort(rows.begin(), rows.end());
        return rows;
      };
      // A recipe's dropped rows count in the train error with their labels as given, as in
      // the last point (the run's cross-validation) and in train_run: the same share of the
      // fold's dropped rows as of its kept ones. Without them a clean_labels incumbent's
      // train line stood far below at every size but the last, then stepped up to it.
      auto dropped_of = [&](const Fold& fd) {
        std::vector<size_t> dropped = fd.dropped;
        if (!dropped.empty()) {
          seeded_shuffle(dropped, seed + 1000 * s + static_cast<uint64_t>(fd.index) + 500);
          dropped.resize(static_cast<size_t>(std::llround(static_cast<double>(fd.dropped.size()) * static_cast<double>(s) /
                                                          static_cast<double>(fd.fit.size()))));
          std::sort(dropped.begin(), dropped.end());
        }
        return dropped;
      };
      const std::vector<FoldOutput> outs = fit_folds(fds, seed, rows_of, dropped_of);
      for (size_t k = 0; k < fds.size(); ++k) {
        train += outs[k].train.value / static_cast<double>(fds.size());
        scatter(outs[k].eval, fds[k].eval, out);
      }
      for (size_t k = 0; k < fds.size(); ++k) m.dev_by_repeat[k].push_back(fold_loss(out, fds[k]));
      m.rows.push_back(static_cast<double>(s));
      m.train.push_back(train);
      m.dev.push_back(metrics::as_loss(cfg_.metric, metrics::compute(cfg_.metric, predictions(out, all))));
    }
    const metrics::Predictions& p = full.oof_by_repeat.at(0);
    const std::vector<float> full_out = classification_ ? p.proba : std::vector<float>(p.value.begin(), p.value.end());
    for (size_t k = 0; k < fds.size(); ++k) m.dev_by_repeat[k].push_back(fold_loss(full_out, fds[k]));
    m.rows.push_back(std::round(mean_rows));
    m.train.push_back(full.train.value);
    m.dev.push_back(full.out_of_fold.value);
    return m;
  }

 private:
  struct FoldFit {
    std::unique_ptr<Pipeline> pipe;
    std::unique_ptr<Model> model;
    metrics::Interval train;
  };

  // The folds of one assignment that have rows on both sides: the fold's index, the pool rows
  // its model fits (without the recipe's dropped rows), and the rows it predicts.
  struct Fold {
    int index = 0;
    // dropped: the fold's training rows a recipe leaves out (clean_labels' suspects)
    std::vector<size_t> fit, eval, dropped;
  };
  std::vector<Fold> folds_of(const std::vector<int>& fold, int folds) const {
    std::vector<Fold> out;
    for (int f = 0; f < folds; ++f) {
      Fold fd;
      fd.index = f;
      for (size_t i = 0; i < fold.size(); ++i) {
        if (fold[i] == f) fd.eval.push_back(i);
        else if (!std::binary_search(recipe_.drop_rows.begin(), recipe_.drop_rows.end(), pool_.row_ids[i])) fd.fit.push_back(i);
        else fd.dropped.push_back(i);
      }
      if (!fd.eval.empty() && !fd.fit.empty()) out.push_back(std::move(fd));
    }
    return out;
  }

  // What a fold's fit leaves: its in-fold error and its outputs on the fold's held-out rows.
  struct FoldOutput {
    metrics::Interval train;
    std::vector<float> eval;
  };

  // Fits every fold (on rows_of(fold), measuring dropped_of(fold) too) and predicts its
  // held-out rows: side by side on the context's threads (parallel_jobs), each fold seeded by
  // its index as one after the other, its output in its own slot.
  std::vector<FoldOutput> fit_folds(const std::vector<Fold>& fds, uint64_t seed,
                                    const std::function<std::vector<size_t>(const Fold&)>& rows_of,
                                    const std::function<std::vector<size_t>(const Fold&)>& dropped_of) {
    std::vector<FoldOutput> outs(fds.size());
    parallel_jobs(fds.size(), ctx_, [&](size_t k, Context& job_ctx) {
      const Fold& fd = fds[k];
      auto fit = fold_fit(rows_of(fd), seed + static_cast<uint64_t>(fd.index), dropped_of(fd), job_ctx);
      outs[k].train = fit.train;
      outs[k].eval = predict(*fit.pipe, *fit.model, fd.eval);
    });
    return outs;
  }

  // Outputs per row: the classes' probabilities, or one value.
  size_t output_width() const { return classification_ ? classes_.size() : 1; }

  // Places the outputs of pool rows `idx` (rows x width, in `idx`'s order) at their rows in `out`.
  void scatter(const std::vector<float>& o, const std::vector<size_t>& idx, std::vector<float>& out) const {
    const size_t width = output_width();
    for (size_t i = 0; i < idx.size(); ++i)
      std::copy_n(o.begin() + static_cast<std::ptrdiff_t>(i * width), width, out.begin() + static_cast<std::ptrdiff_t>(idx[i] * width));
  }

  uint64_t repeat_seed(int r) const { return cfg_.seed ^ (0xC0FFEEULL + static_cast<uint64_t>(r) * 0x9E3779B97F4A7C15ULL); }

  std::vector<size_t> positions(const std::vector<size_t>& idx) const {
    std::vector<size_t> p(idx.size());
    for (size_t i = 0; i < idx.size(); ++i) p[i] = pool_.positions[idx[i]];
    return p;
  }

  // The fold model's outputs on pool rows, in the pool's class encoding.
  std::vector<float> predict(const Pipeline& pipe, const Model& model, const std::vector<size_t>& idx) const {
    std::vector<float> o = model.predict(pipe.transform(*pool_.data, positions(idx)));
    for (float v : o)
      if (!std::isfinite(v)) throw std::runtime_error(fmt::format("{} predicts non-finite values in a fold", run_.model));
    if (!classification_) return o;
    const auto& fc = pipe.classes();
    const size_t w = classes_.size(), fw = fc.size();
    std::vector<float> out(idx.size() * w, 0.f);
    for (size_t k = 0; k < fw; ++k) {
      const size_t g = static_cast<size_t>(class_index_.at(fc[k]));
      for (size_t i = 0; i < idx.size(); ++i) out[i * w + g] = o[i * fw + k];
    }
    return out;
  }

  // Fits the run's family, params and recipe on pool rows `fit_idx`, as train_run does on
  // train: preprocessing fitted on them, a 10% early-stopping slice for the families that
  // stop early (then the gbdt's refit on every row), noise copies and oversampling. The
  // in-fold error is measured on the rows the model fitted (not the synthetic rows), and on
  // `dropped`, the fold's training rows the recipe left out, with their labels as given: as
  // train_run measures a run's train error.
  FoldFit fold_fit(std::vector<size_t> fit_idx, uint64_t seed, const std::vector<size_t>& dropped, const Context& ctx) {
    FoldFit ff;
    ff.pipe = std::make_unique<Pipeline>();
    Pipeline::Options popt;
    popt.standardize = family_.standardize;
    popt.drop_columns = recipe_.drop_columns;
    popt.group_column = cfg_.split.group_column();
    ff.pipe->fit(*pool_.data, positions(fit_idx), cfg_.target, classification_, popt);
    const std::vector<size_t> es_idx = carve_early_stopping(family_, run_.params, fit_idx, seed);
    const Pipeline& pipe = *ff.pipe;
    Matrix x = pipe.transform(*pool_.data, positions(fit_idx));
    std::vector<float> y = pipe.target(*pool_.data, positions(fit_idx)), w;
    if (recipe_.noise_copies > 0) add_noise_copies(x, y, w, recipe_.noise, recipe_.noise_copies, model_seed_ ^ 0xA06ULL);
    if (recipe_.oversample && classification_) oversample_minority(x, y, w, family_.standardize, model_seed_ ^ 0x5307EULL);
    Matrix x_es;
    std::vector<float> y_es;
    if (!es_idx.empty()) {
      x_es = pipe.transform(*pool_.data, positions(es_idx));
      y_es = pipe.target(*pool_.data, positions(es_idx));
    }
    Context fold_ctx = ctx;
    fold_ctx.seed = model_seed_;
    const TaskShape shape = fit_shape(pipe, cfg_.metric);
    ff.model = family_.create(run_.params, shape);
    FitResult r = ff.model->fit(x, y, w, es_idx.empty() ? nullptr : &x_es, es_idx.empty() ? nullptr : &y_es, fold_ctx,
                                Deadline{ctx.deadline});
    if (r.status == "stopped" && ctx.deadline_passed()) throw BudgetExhausted();
    if (r.status != "done" && r.status != "stopped")
      throw std::runtime_error(fmt::format("{} {} in a cross-validation fold: {}", run_.model, r.status, r.reason));
    std::vector<size_t> measured = fit_idx;
    if (auto refit = refit_on_every_row(family_, run_.params, shape, r, x, y, w, x_es, y_es, {}, fold_ctx,
                                        Deadline{ctx.deadline})) {
      ff.model = std::move(refit);
      measured.insert(measured.end(), es_idx.begin(), es_idx.end());  // the slice trained too
    }
    measured.insert(measured.end(), dropped.begin(), dropped.end());
    ff.train = loss_interval(cfg_.metric, predictions(predict(pipe, *ff.model, measured), measured), seed);
    return ff;
  }

  const ProjectConfig& cfg_;
  const RunRecord& run_;
  const Family& family_;
  Context& ctx_;
  Pool pool_;
  bool classification_ = true;
  std::vector<std::string> classes_;
  std::unordered_map<std::string, int32_t> class_index_;
  std::vector<int32_t> y_class_;
  std::vector<float> y_value_;
  int32_t positive_ = 1;
  Recipe recipe_;
  uint64_t model_seed_ = 0;
};
}  // namespace

bool uses_cv(const ProjectConfig& config, Store& store) {
  if (config.cv_below <= 0) return false;
  auto counts = store.split_counts();
  const int64_t dev = counts[SplitName::dev];
  if (dev <= 0 || dev >= config.cv_below) return false;
  // When dev stands apart (its own file, or later in time), cross-validation can only sharpen
  // train-dev: worth it only when train-dev is small too. (It also keeps the pool small: a
  // train-dev below cv_below rows means DATA has at most about 10 times as many.)
  const bool dev_separate = !config.dev_data.empty() || config.split.method == SplitMethod::time;
  return !dev_separate || counts[SplitName::train_dev] < config.cv_below;
}

std::string cached_metric_name(const ProjectConfig& config) {
  return config.positive ? fmt::format("{}@{}", config.metric, *config.positive) : config.metric;
}

int64_t cv_repeat_rows(const ProjectConfig& config) {
  // A pool of 3,000 rows or more pins an error rate down to about +-1 point in one repeat; a
  // cv_below above 1,000 widens what is cross-validated, not how often.
  return std::clamp<int64_t>(config.cv_below, 0, 1000);
}

int cv_repeats_for(const ProjectConfig& config, size_t pool_rows) {
  if (pool_rows == 0) return config.cv_repeats;
  const auto wanted = static_cast<size_t>(cv_repeat_rows(config)) * static_cast<size_t>(config.cv_repeats);
  const size_t needed = (wanted + pool_rows - 1) / pool_rows;
  return static_cast<int>(std::clamp<size_t>(needed, 1, static_cast<size_t>(config.cv_repeats)));
}

namespace {
std::string cv_errors_key(const ProjectConfig& c, int64_t run) {
  // cv_repeat_rows too: with the pool (fixed per project) it sets how many repeats were
  // averaged (the same key as before 2026-12-06 for a cv_below of 1,000 or less).
  // v3: with the repeats' (cv:v2), the train error counts the rows a recipe drops; v4 (cv:v3),
  // and the early-stopping slice of a model refitted on every row. The metric
  // last (and the positive class, cached_metric_name): the errors are in it, and [task] metric may
  // be edited (a cached error read as a log loss after the edit).
  return fmt::format("cv_errors:v4:{}:{}:{}x{}:{}:{}", run, c.seed, c.cv_repeats, c.cv_folds, cv_repeat_rows(c), cached_metric_name(c));
}
}  // namespace

std::optional<json> cached_cv_errors(const ProjectConfig& config, Store& store, int64_t run) {
  auto cached = store.meta(cv_errors_key(config, run));
  if (!cached) return std::nullopt;
  return json::parse(*cached);
}

void save_cv_errors(const ProjectConfig& config, Store& store, int64_t run, const CvResult& cv) {
  const std::string key = cv_errors_key(config, run);
  if (store.meta(key)) return;
  store.set_meta(key, json{{"train", cv.train.value}, {"train_dev", cv.out_of_fold.value}, {"dev_in_pool", !cv.dev_separate}}.dump());
}

JudgedDev judged_dev(const ProjectConfig& config, Store& store, int64_t run) {
  JudgedDev d;
  d.split = run_loss(store.run_metrics(run), "dev", config.metric);
  d.value = d.split;
  if (uses_cv(config, store))
    if (auto c = cached_cv_errors(config, store, run); c && (*c)["dev_in_pool"].get<bool>()) {
      d.value = (*c)["train_dev"].get<double>();
      d.out_of_fold = true;
    }
  return d;
}

json JudgedDev::to_json() const {
  auto val = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"dev", val(value)}, {"dev_split", val(split)}, {"estimated_by", out_of_fold ? "cv" : "split"}};
}

json CvResult::to_json() const {
  return {{"pool", pool}, {"dev_separate", dev_separate}, {"folds", folds}, {"repeats", repeats}, {"rows", rows},
          {"train", interval_json(train)}, {"out_of_fold", interval_json(out_of_fold)}};
}

CvResult cross_validate(Project& project, const ProjectData& data, const RunRecord& run, const Registry& registry,
                        Context& ctx, std::optional<int> repeats) {
  const ProjectConfig& cfg = project.config;
  CrossValidation cv(project, data, run, registry, ctx);
  CvResult res;
  res.pool = cv.pool().name;
  res.dev_separate = cv.pool().dev_separate;
  res.folds = cfg.cv_folds;
  res.rows = cv.pool().positions.size();
  res.repeats = std::min(cv_repeats_for(cfg, res.rows), repeats.value_or(cfg.cv_repeats));
  std::vector<size_t> all(res.rows);
  std::iota(all.begin(), all.end(), size_t{0});
  for (int r = 0; r < res.repeats; ++r) {
    // Each repeat is cached on its own: a later call for more repeats reuses the first. v2: the
    // in-fold train error counts the rows a recipe drops; v3: and a refitted model's early-stopping slice.
    // The metric last: the intervals are in it (the predictions are not, but a metric edited in
    // mlloop.toml is rare enough to fit the folds again).
    const std::string key = fmt::format("cv:v3:{}:{}:{}:{}:{}", run.id, cfg.seed, cfg.cv_folds, r, cached_metric_name(cfg));
    // Each repeat keeps its predictions, for the loop's paired test over repeats (a store
    // written by an earlier mlloop kept only the first repeat's: the others are fitted again).
    RepeatResult rr;
    std::optional<std::string> cached = project.store->meta(key);
    json j = cached ? json::parse(*cached) : json();
    if (cached && j.contains("out")) {
      rr.train = interval_of(j["train"]);
      rr.oof = interval_of(j["oof"]);
      rr.out = j["out"].get<std::vector<float>>();
    } else {
      rr = cv.repeat(r);
      project.store->set_meta(key, json{{"train", interval_json(rr.train)}, {"oof", interval_json(rr.oof)}, {"out", rr.out}}.dump());
    }
    res.train.value += rr.train.value / res.repeats;
    res.train.low += rr.train.low / res.repeats;
    res.train.high += rr.train.high / res.repeats;
    res.out_of_fold.value += rr.oof.value / res.repeats;
    res.out_of_fold.low += rr.oof.low / res.repeats;
    res.out_of_fold.high += rr.oof.high / res.repeats;
    res.oof_by_repeat.push_back(cv.predictions(rr.out, all));
  }
  return res;
}

std::optional<json> learning_curve_cv(Project& project, const ProjectData& data, const RunRecord& run, const Registry& registry,
                                     Context& ctx, double floor) {
  CrossValidation cv(project, data, run, registry, ctx);
  if (cv.pool().dev_separate) return std::nullopt;
  const CvResult full = cross_validate(project, data, run, registry, ctx);
  CurveMeasure m = cv.curve(full);
  m.floor = floor;
  json out = curve_json(m);
  out["estimated_by"] = "cv";
  out["pool"] = cv.pool().name;
  return out;
}

}  // namespace mlloop
