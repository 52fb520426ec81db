#include "mlloop/model/trainer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/model/augment.hpp"

namespace mlloop {
namespace fs = std::filesystem;

namespace {
constexpr char kMagic[8] = {'M', 'L', 'L', 'O', 'O', 'P', 'M', '1'};
}  // namespace

int32_t positive_class(const ProjectConfig& cfg, const Pipeline& pipe, const std::vector<float>& y_train) {
  size_t ones = 0;
  for (float v : y_train) ones += v == 1.f;
  return positive_index(cfg, pipe.classes(), ones * 2 <= y_train.size() ? 1 : 0);
}

const ParamSpec* early_stopping_param(const Family& family) {
  for (const auto& p : family.params)
    if (p.name == "early_stopping" || p.name == "patience") return &p;
  return nullptr;
}

bool uses_early_stopping(const Family& f, const Params& params) {
  const ParamSpec* p = early_stopping_param(f);
  return p && (!params.contains(p->name) || params.at(p->name).get<int64_t>() > 0);
}

std::vector<size_t> carve_early_stopping(const Family& family, const Params& params, std::vector<size_t>& rows, uint64_t seed) {
  std::vector<size_t> es;
  if (!uses_early_stopping(family, params) || rows.size() < 50) return es;
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  seeded_shuffle(order, seed ^ 0x5EED5EEDULL);
  const size_t n_es = std::max<size_t>(1, rows.size() / 10);
  std::vector<char> in_es(rows.size(), 0);
  for (size_t i = 0; i < n_es; ++i) in_es[order[i]] = 1;
  std::vector<size_t> keep;
  for (size_t i = 0; i < rows.size(); ++i) (in_es[i] ? es : keep).push_back(rows[i]);
  rows = std::move(keep);
  return es;
}

TaskShape fit_shape(const Pipeline& pipe, const std::string& metric) {
  TaskShape s = pipe.shape();
  s.absolute_loss = !s.classification && metric == "mae";
  return s;
}

std::unique_ptr<Model> refit_on_every_row(const Family& family, const Params& params, const TaskShape& shape,
                                          const FitResult& first, const Matrix& x, const std::vector<float>& y,
                                          const std::vector<float>& w, const Matrix& x_es, const std::vector<float>& y_es,
                                          const std::vector<float>& w_es, const Context& ctx, const Deadline& deadline,
                                          std::string* why_not) {
  if (!family.refit || x_es.rows == 0 || first.status != "done" || !first.usable || first.best_step < 1) return nullptr;
  std::optional<Params> again = family.refit(params, first.best_step);
  if (!again) return nullptr;
  Matrix all = x;
  all.append_rows(x_es);
  std::vector<float> y_all = y;
  y_all.insert(y_all.end(), y_es.begin(), y_es.end());
  std::vector<float> w_all;
  if (!w.empty() || !w_es.empty()) {
    w_all = w.empty() ? std::vector<float>(x.rows, 1.f) : w;
    if (w_es.empty()) w_all.resize(all.rows, 1.f);
    else w_all.insert(w_all.end(), w_es.begin(), w_es.end());
  }
  auto model = family.create(*again, shape);
  FitResult r = model->fit(all, y_all, w_all, nullptr, nullptr, ctx, deadline);
  if (r.status == "done" && r.usable) return model;
  if (why_not)
    *why_not = fmt::format("the refit on every training row {} ({}); the model fitted beside the early-stopping slice is kept",
                           r.status, r.reason);
  return nullptr;
}

nlohmann::json Recipe::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!drop_rows.empty()) j["drop_rows"] = drop_rows;
  if (!drop_columns.empty()) j["drop_columns"] = drop_columns;
  if (!weights.empty()) j["weights"] = weights;
  if (noise_copies > 0) {
    j["noise"] = noise;
    j["noise_copies"] = noise_copies;
  }
  if (oversample) j["oversample"] = true;
  return j;
}

Recipe Recipe::from_json(const nlohmann::json& j) {
  Recipe r;
  if (!j.is_object()) return r;
  if (j.contains("drop_rows")) r.drop_rows = j["drop_rows"].get<std::vector<int64_t>>();
  if (j.contains("drop_columns")) r.drop_columns = j["drop_columns"].get<std::vector<std::string>>();
  if (j.contains("weights")) r.weights = j["weights"];
  if (j.contains("noise_copies")) {
    r.noise = j["noise"];
    r.noise_copies = j["noise_copies"];
  }
  r.oversample = j.value("oversample", false);
  return r;
}

metrics::Predictions to_predictions(const std::vector<float>& out, const std::vector<float>& y, const TaskShape& shape,
                                    int32_t positive) {
  metrics::Predictions p;
  p.classification = shape.classification;
  p.classes = shape.classes;
  p.positive = positive;
  if (shape.classification) {
    p.proba = out;
    p.y.resize(y.size());
    for (size_t i = 0; i < y.size(); ++i) p.y[i] = std::isnan(y[i]) ? -1 : static_cast<int32_t>(y[i]);
  } else {
    p.value.assign(out.begin(), out.end());
    p.target.assign(y.begin(), y.end());
  }
  return p;
}

std::optional<double> run_loss(const std::map<std::string, std::map<std::string, MetricRecord>>& m,
                               const std::string& split, const std::string& metric) {
  auto s = m.find(split);
  if (s == m.end()) return std::nullopt;
  auto v = s->second.find(metric);
  if (v == s->second.end()) return std::nullopt;
  return metrics::as_loss(metric, v->second.value);
}

void write_artifact(const std::string& path, const std::string& family, const Params& params, const Pipeline& pipeline,
                    const Model& model) {
  std::string header = nlohmann::json{{"family", family}, {"params", params}, {"pipeline", pipeline.to_json()}}.dump();
  std::string body = model.save();
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    uint64_t hl = header.size(), bl = body.size();
    out.write(kMagic, 8);
    out.write(reinterpret_cast<const char*>(&hl), 8);
    out.write(header.data(), static_cast<std::streamsize>(hl));
    out.write(reinterpret_cast<const char*>(&bl), 8);
    out.write(body.data(), static_cast<std::streamsize>(bl));
    if (!out) throw_bad_input(fmt::format("cannot write the model file '{}'", tmp), "check disk space and permissions");
  }
  fs::rename(tmp, path);  // atomic: a killed run never leaves half a model behind
}

Artifact read_artifact(const std::string& path, const Registry& registry) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  uint64_t hl = 0, bl = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 || !in.read(reinterpret_cast<char*>(&hl), 8))
    throw_data_changed(fmt::format("the model file '{}' is missing or damaged", path), "train the run again");
  std::string header(hl, '\0');
  in.read(header.data(), static_cast<std::streamsize>(hl));
  in.read(reinterpret_cast<char*>(&bl), 8);
  std::string body(bl, '\0');
  in.read(body.data(), static_cast<std::streamsize>(bl));
  if (!in) throw_data_changed(fmt::format("the model file '{}' is truncated", path), "train the run again");
  auto j = nlohmann::json::parse(header);
  Artifact a;
  a.family = j.at("family");
  a.params = j.at("params");
  a.pipeline = Pipeline::from_json(j.at("pipeline"));
  a.model = registry.get(a.family).create(a.params, a.pipeline.shape());
  a.model->load(body);
  return a;
}

TrainOutcome train_run(Project& project, const ProjectData& data, const Registry& registry, const TrainRequest& req,
                       Context& ctx) {
  const Family& family = registry.get(req.family);
  Params params = resolve_params(family, req.params);
  const ProjectConfig& cfg = project.config;
  const bool classification = is_classification(cfg.task);
  const SplitPart& train = data.data_part(SplitName::train);
  MLLOOP_ASSERT(!train.positions.empty());

  TrainOutcome out;
  Pipeline pipe;
  Pipeline::Options popt;
  popt.standardize = family.standardize;
  const Recipe& recipe = req.recipe;
  popt.drop_columns = recipe.drop_columns;
  popt.group_column = cfg.split.group_column();
  MLLOOP_ASSERT(recipe.weights.empty() || recipe.row_weights.size() == train.positions.size());

  // The training rows the recipe keeps, each with its weight, and those it drops.
  std::vector<size_t> kept;                // indexes into train.positions
  std::vector<size_t> dropped_positions;  // rows of train.data
  {
    std::vector<int64_t> dropped = recipe.drop_rows;
    std::sort(dropped.begin(), dropped.end());
    for (size_t i = 0; i < train.positions.size(); ++i) {
      if (!std::binary_search(dropped.begin(), dropped.end(), train.row_ids[i])) kept.push_back(i);
      else dropped_positions.push_back(train.positions[i]);
    }
    if (kept.empty()) throw_bad_input("the recipe drops every training row", "drop fewer rows");
  }
  std::vector<size_t> kept_positions(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) kept_positions[i] = train.positions[kept[i]];
  pipe.fit(*train.data, kept_positions, cfg.target, classification, popt, &out.notes);
  const TaskShape shape = fit_shape(pipe, cfg.metric);

  // The early-stopping slice: 10% of the kept training rows, seeded; never train-dev.
  std::vector<size_t> fit_idx = kept;
  std::vector<size_t> es_idx = carve_early_stopping(family, params, fit_idx, ctx.seed);
  auto positions_of = [&](const std::vector<size_t>& idx) {
    std::vector<size_t> p(idx.size());
    for (size_t i = 0; i < idx.size(); ++i) p[i] = train.positions[idx[i]];
    return p;
  };
  std::vector<size_t> fit_rows = positions_of(fit_idx), es_rows = positions_of(es_idx);
  Matrix x_fit = pipe.transform(*train.data, fit_rows);
  std::vector<float> y_fit = pipe.target(*train.data, fit_rows);
  std::vector<float> w_fit;
  if (!recipe.row_weights.empty()) {
    w_fit.resize(fit_idx.size());
    for (size_t i = 0; i < fit_idx.size(); ++i) w_fit[i] = recipe.row_weights[fit_idx[i]];
  }
  // The positive class comes from the real rows; train metrics are measured on them too.
  const int32_t positive = classification ? positive_class(cfg, pipe, y_fit) : 1;
  size_t augmented = 0;
  if (recipe.noise_copies > 0) {
    const size_t before = x_fit.rows;
    add_noise_copies(x_fit, y_fit, w_fit, recipe.noise, recipe.noise_copies, ctx.seed ^ 0xA06ULL);
    augmented += x_fit.rows - before;
  }
  if (recipe.oversample && classification)
    augmented += oversample_minority(x_fit, y_fit, w_fit, family.standardize, ctx.seed ^ 0x5307EULL);
  Matrix x_es;
  std::vector<float> y_es;
  if (!es_rows.empty()) {
    x_es = pipe.transform(*train.data, es_rows);
    y_es = pipe.target(*train.data, es_rows);
  }

  nlohmann::json config{{"family", family.name},
                        {"params", params},
                        {"seed", ctx.seed},
                        {"threads", ctx.threads},
                        {"fit_rows", fit_rows.size()},
                        {"early_stopping_rows", es_rows.size()},
                        {"features", pipe.feature_names().size()},
                        {"recipe", recipe.to_json()},
                        {"classes", pipe.classes()},
                        {"positive", positive},
                        {"augmented_rows", augmented}};
  out.run = project.store->begin_run(family.name, params, config, req.iteration);
  // The run's seconds are its fit and evaluation. Creating the model comes first: for the
  // mlp it loads libtorch (about half a second, once per process), start-up as an import is.
  auto model = family.create(params, shape);
  auto t0 = std::chrono::steady_clock::now();
  try {
    out.fit = model->fit(x_fit, y_fit, w_fit, es_rows.empty() ? nullptr : &x_es, es_rows.empty() ? nullptr : &y_es, ctx,
                         req.deadline);
    std::vector<float> w_es;
    if (!recipe.row_weights.empty())
      for (size_t i : es_idx) w_es.push_back(recipe.row_weights[i]);
    std::string why_not;
    if (auto refit = refit_on_every_row(family, params, shape, out.fit, x_fit, y_fit, w_fit, x_es, y_es, w_es, ctx,
                                        req.deadline, &why_not)) {
      model = std::move(refit);
      out.refitted = true;
    } else if (!why_not.empty()) {
      out.notes.push_back(why_not);
    }
  } catch (const std::exception& e) {
    out.fit.status = "failed";
    out.fit.reason = e.what();
  }

  std::vector<MetricRecord> records;
  std::vector<PredictionRecord> preds;
  for (const auto& pt : out.fit.curve) {
    records.push_back(MetricRecord{"train", "loss", pt.train_loss, std::nullopt, std::nullopt, pt.step});
    if (std::isfinite(pt.valid_loss))
      records.push_back(MetricRecord{"es", "loss", pt.valid_loss, std::nullopt, std::nullopt, pt.step});
  }
  std::string status = out.fit.status;
  const bool has_model = (status == "done" || status == "stopped") && out.fit.usable;
  if (has_model) {
    try {
      auto measure = [&](const std::string& split, const Dataset& ds, const std::vector<size_t>& rows,
                         const std::string& source, const std::vector<int64_t>* ids, bool fitted) {
        // fitted: `rows` are the rows of x_fit and y_fit, transformed already.
        Matrix x_own;
        std::vector<float> y_own;
        if (!fitted) {
          x_own = pipe.transform(ds, rows);
          y_own = pipe.target(ds, rows);
        }
        const Matrix& x = fitted ? x_fit : x_own;
        const std::vector<float>& y = fitted ? y_fit : y_own;
        std::vector<float> o = model->predict(x);
        for (float v : o)
          if (!std::isfinite(v)) throw std::runtime_error("the model predicts non-finite values");
        metrics::Predictions p = to_predictions(o, y, shape, positive);
        const auto& names = classification ? metrics::classification_metrics() : metrics::regression_metrics();
        for (const auto& name : names) {
          if (name == cfg.metric || name == "error") {
            auto iv = metrics::with_interval(name, p, ctx.seed, 200);
            records.push_back(MetricRecord{split, name, iv.value, iv.low, iv.high, std::nullopt});
            if (name == cfg.metric) out.errors[split] = metrics::as_loss(name, iv);
          } else {
            records.push_back(
                MetricRecord{split, name, metrics::compute(name, p), std::nullopt, std::nullopt, std::nullopt});
          }
        }
        if (ids) {
          const size_t w = classification ? shape.classes : 1;
          for (size_t i = 0; i < rows.size(); ++i) {
            PredictionRecord r{split, source, (*ids)[i], 0, {}};
            if (classification) {
              r.proba.assign(o.begin() + static_cast<std::ptrdiff_t>(i * w),
                             o.begin() + static_cast<std::ptrdiff_t>((i + 1) * w));
              r.prediction = p.predicted_class(i);
            } else {
              r.prediction = o[i];
            }
            preds.push_back(std::move(r));
          }
        }
      };
      // The training rows are x_fit and y_fit already, unless augmentation appended rows to them.
      // Rows a recipe drops (clean_labels' suspects) count too, with their labels as given:
      // train-dev, dev and the optimal error all keep the labels as given, and a train error
      // on the kept rows alone (the ones the model agreed with) read as a variance gap the
      // size of the label noise (credit_data under auc, 12% dropped: train 0.058, train-dev
      // 0.162).
      // A model refitted on every training row has the early-stopping slice among its training
      // rows too: measured on them as well (train is then every row of the split).
      if (dropped_positions.empty() && !(out.refitted && !es_rows.empty())) {
        measure("train", *train.data, fit_rows, "data", nullptr, augmented == 0);
      } else {
        std::vector<size_t> rows = fit_rows;
        if (out.refitted) rows.insert(rows.end(), es_rows.begin(), es_rows.end());
        rows.insert(rows.end(), dropped_positions.begin(), dropped_positions.end());
        measure("train", *train.data, rows, "data", nullptr, false);
      }
      for (SplitName s : {SplitName::train_dev, SplitName::dev}) {
        auto it = data.splits.find(s);
        if (it == data.splits.end()) continue;
        // A split may come from two files (dev carved from DATA is one; a dev file another).
        for (const auto& part : it->second)
          measure(to_string(s), *part.data, part.positions, part.source, &part.row_ids, false);
      }
    } catch (const std::exception& e) {
      // A model that does its work when it predicts (knn) stops there at the deadline
      // (BudgetExhausted): it has no metrics, so it is recorded as failed, with that reason.
      status = "failed";
      out.fit.reason = dynamic_cast<const BudgetExhausted*>(&e) ? std::string("the time budget ran out while it predicted")
                                                                 : fmt::format("evaluation failed: {}", e.what());
      records.erase(std::remove_if(records.begin(), records.end(), [](const MetricRecord& r) { return !r.step; }),
                    records.end());
      preds.clear();
      out.errors.clear();
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string artifact;
  if (has_model && (status == "done" || status == "stopped")) {
    artifact = (fs::path(project.dir) / ".mlloop" / "models" / fmt::format("run_{}.mlm", out.run)).string();
    write_artifact(artifact, family.name, params, pipe, *model);
  }
  project.store->finish_run(out.run, status, out.fit.reason, seconds, artifact, records, preds);
  out.fit.status = status;
  out.record = *project.store->run(out.run);
  return out;
}

}  // namespace mlloop
