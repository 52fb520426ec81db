#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "mlloop/analyze/diagnosis.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/project/project_data.hpp"

namespace mlloop {

namespace {
using json = nlohmann::json;

struct Scored {
  const SplitPart* part;
  std::vector<float> y, out;  // truth and predictions (rows x width)
  size_t width;
};

// The incumbent run's model, with the project's data to score it on.
struct Incumbent {
  int64_t run = 0;
  Artifact artifact;
  ProjectData data;

  Scored score(const SplitPart& part) const {
    const Pipeline& p = artifact.pipeline;
    return Scored{&part, p.target(*part.data, part.positions), artifact.model->predict(p.transform(*part.data, part.positions)),
                  p.shape().classification ? p.classes().size() : 1};
  }
};

Incumbent load_incumbent(Project& project, const Registry& registry, Context& ctx) {
  const std::string& metric = project.config.metric;
  auto run = project.store->incumbent(metric, !metrics::higher_is_better(metric));
  if (!run) throw_bad_input("the project has no finished run to inspect", "train one first: mlloop train --model gbdt");
  auto rec = project.store->run(*run);
  return Incumbent{*run, read_artifact(rec->artifact, registry), load_project_data(project, ctx)};
}

// Per-row loss: log loss for classes (NaN truth: a class unseen in training counts as wrong
// with probability 0), squared error for values.
double row_loss(const Scored& s, size_t i, bool cls) {
  if (!cls) return (s.out[i] - s.y[i]) * (s.out[i] - s.y[i]);
  if (std::isnan(s.y[i])) return 35.0;
  return -std::log(std::max(1e-15f, s.out[i * s.width + static_cast<size_t>(s.y[i])]));
}

json wrong_rows(const Scored& s, const Artifact& a, size_t n, bool cls, const std::string& split) {
  std::vector<std::pair<double, size_t>> rank;
  for (size_t i = 0; i < s.y.size(); ++i) {
    if (cls) {
      const float* p = s.out.data() + i * s.width;
      auto pred = static_cast<float>(std::max_element(p, p + s.width) - p);
      if (pred == s.y[i]) continue;
    }
    rank.emplace_back(-row_loss(s, i, cls), i);
  }
  std::sort(rank.begin(), rank.end());
  json rows = json::array();
  for (size_t k = 0; k < rank.size() && k < n; ++k) {
    size_t i = rank[k].second;
    // The row id as CONTRACT.md writes it: a plain integer for a row of DATA, an object with the
    // split for a row of a --dev-data file.
    const int64_t id = s.part->row_ids[i];
    json r{{"split", split}, {"row", s.part->source == "data" ? json(id) : json{{"split", s.part->source}, {"row", id}}},
           {"loss", -rank[k].first}};
    if (cls) {
      const float* p = s.out.data() + i * s.width;
      size_t pred = static_cast<size_t>(std::max_element(p, p + s.width) - p);
      r["given"] = std::isnan(s.y[i]) ? std::string("?") : a.pipeline.classes()[static_cast<size_t>(s.y[i])];
      r["predicted"] = a.pipeline.classes()[pred];
      r["confidence"] = p[pred];
    } else {
      r["given"] = float_as_written(s.y[i]);
      r["predicted"] = float_as_written(s.out[i]);
    }
    rows.push_back(r);
  }
  return rows;
}
}  // namespace

json inspect(Project& project, const std::string& what, size_t n, const Registry& registry, Context& ctx, bool fit) {
  auto analyses = [&]() -> json {
    if (fit) return data_analyses(project, registry, ctx);
    if (auto cached = cached_data_analyses(project)) return std::move(*cached);
    throw NotComputed(fmt::format("the {} analysis is not computed yet: a loop is running on the project, and computes it in "
                                  "its first analysis",
                                  what == "labels" ? "label-issue" : "shift"));
  };
  if (what == "labels") {
    json a = analyses()["label_issues"];
    json rows = json::array();
    for (size_t k = 0; k < a["details"].size() && k < n; ++k) rows.push_back(a["details"][k]);
    json out = {{"what", "labels"}, {"estimated_noise_rate", a["estimated_noise_rate"]}, {"suspects", a["rows"].size()},
                {"method", a["method"]}, {"rows", rows}};
    // Why no row is a suspect, where the model had no signal to judge the labels by.
    if (a.contains("unchecked") && a["unchecked"].is_string()) out["unchecked"] = a["unchecked"];
    return out;
  }
  if (what == "shift") {
    json s = analyses()["shift"];
    json features = s["features"];
    std::vector<json> f(features.begin(), features.end());
    std::stable_sort(f.begin(), f.end(), [](const json& a, const json& b) {
      return a["importance"].get<double>() > b["importance"].get<double>();
    });
    if (f.size() > n) f.resize(n);
    return {{"what", "shift"}, {"adversarial_auc", s["adversarial_auc"]}, {"low", s["low"]}, {"high", s["high"]},
            {"top_features", s["top_features"]}, {"features", f}};
  }
  if (what != "wrong" && what != "slices")
    throw_bad_input(fmt::format("unknown inspect view '{}'", what), "use mlloop inspect wrong, labels, shift or slices");

  const Incumbent inc = load_incumbent(project, registry, ctx);
  const Artifact& a = inc.artifact;
  const ProjectData& data = inc.data;
  const bool cls = a.pipeline.shape().classification;
  std::vector<Scored> dev;
  for (const auto& part : data.splits.at(SplitName::dev)) dev.push_back(inc.score(part));

  if (what == "wrong") {
    json rows = json::array();
    for (const auto& s : dev)
      for (auto& r : wrong_rows(s, a, n, cls, "dev")) rows.push_back(r);
    Scored train = inc.score(data.data_part(SplitName::train));
    std::vector<std::pair<double, size_t>> rank;
    for (size_t i = 0; i < train.y.size(); ++i) rank.emplace_back(-row_loss(train, i, cls), i);
    std::sort(rank.begin(), rank.end());
    json hard = json::array();
    for (size_t k = 0; k < rank.size() && k < n; ++k) hard.push_back({{"row", train.part->row_ids[rank[k].second]}, {"loss", -rank[k].first}});
    return {{"what", "wrong"}, {"run", inc.run}, {"dev_wrong", rows}, {"train_highest_loss", hard}};
  }

  // Slices of dev: by category, and by numeric quartile; each slice's error (classification)
  // or mean squared error, with an interval, kept when it is worse than dev overall beyond noise.
  const SplitPart& part = *dev.front().part;
  const Scored& s = dev.front();
  std::vector<double> loss(s.y.size());
  for (size_t i = 0; i < s.y.size(); ++i) {
    if (cls) {
      const float* p = s.out.data() + i * s.width;
      loss[i] = std::isnan(s.y[i]) || static_cast<float>(std::max_element(p, p + s.width) - p) != s.y[i];
    } else {
      loss[i] = row_loss(s, i, false);
    }
  }
  auto summarize = [&](const std::vector<size_t>& rows) {
    double m = 0, sq = 0;
    for (size_t i : rows) {
      m += loss[i];
      sq += loss[i] * loss[i];
    }
    double nn = static_cast<double>(rows.size());
    m /= nn;
    double sd = std::sqrt(std::max(0.0, sq / nn - m * m));
    double half = 1.96 * sd / std::sqrt(nn);
    return std::make_tuple(m, std::max(0.0, m - half), m + half);
  };
  std::vector<size_t> all(loss.size());
  std::iota(all.begin(), all.end(), size_t{0});
  auto [overall, olow, ohigh] = summarize(all);
  json slices = json::array();
  for (const Column& col : part.data->columns) {
    if (col.name == project.config.target) continue;
    std::map<std::string, std::vector<size_t>> groups;
    if (col.is_numeric()) {
      std::vector<float> v;
      for (size_t pos : part.positions)
        if (!std::isnan(col.values[pos])) v.push_back(col.values[pos]);
      if (v.size() < 8) continue;
      std::sort(v.begin(), v.end());
      float q[3] = {v[v.size() / 4], v[v.size() / 2], v[3 * v.size() / 4]};
      for (size_t i = 0; i < part.positions.size(); ++i) {
        float x = col.values[part.positions[i]];
        std::string key = std::isnan(x) ? "missing" : x <= q[0] ? fmt::format("<= {:g}", q[0])
                                                      : x <= q[1] ? fmt::format("({:g}, {:g}]", q[0], q[1])
                                                      : x <= q[2] ? fmt::format("({:g}, {:g}]", q[1], q[2])
                                                                  : fmt::format("> {:g}", q[2]);
        groups[key].push_back(i);
      }
    } else {
      for (size_t i = 0; i < part.positions.size(); ++i) {
        std::string t = col.text(part.positions[i]);
        groups[t.empty() ? "missing" : t].push_back(i);
      }
      if (groups.size() > 50) continue;  // identifiers and free text make no slices
    }
    for (auto& [key, rows] : groups) {
      if (rows.size() < 10) continue;
      auto [m, lo, hi] = summarize(rows);
      if (lo <= overall) continue;  // not significantly worse than dev overall
      slices.push_back({{"column", col.name}, {"value", key}, {"support", rows.size()}, {"loss", m}, {"low", lo}, {"high", hi}});
    }
  }
  std::vector<json> sorted(slices.begin(), slices.end());
  std::sort(sorted.begin(), sorted.end(), [](const json& x, const json& y) { return x["loss"].get<double>() > y["loss"].get<double>(); });
  if (sorted.size() > n) sorted.resize(n);
  return {{"what", "slices"}, {"run", inc.run}, {"loss", cls ? "error" : "squared_error"}, {"dev_overall", overall},
          {"dev_low", olow}, {"dev_high", ohigh}, {"slices", sorted}};
}

nlohmann::json dev_predictions(Project& project, const Registry& registry, Context& ctx, size_t max_points) {
  const Incumbent inc = load_incumbent(project, registry, ctx);
  const Artifact& a = inc.artifact;
  const bool cls = a.pipeline.shape().classification;
  std::vector<float> y, out;
  for (const auto& part : inc.data.splits.at(SplitName::dev)) {
    Scored s = inc.score(part);
    y.insert(y.end(), s.y.begin(), s.y.end());
    out.insert(out.end(), s.out.begin(), s.out.end());
  }
  if (cls) {
    const auto& classes = a.pipeline.classes();
    const size_t k = classes.size();
    std::vector<std::vector<int64_t>> m(k, std::vector<int64_t>(k, 0));
    int64_t unseen = 0;  // dev rows of a class the model never saw in training
    for (size_t i = 0; i < y.size(); ++i) {
      const float* p = out.data() + i * k;
      auto pred = static_cast<size_t>(std::max_element(p, p + k) - p);
      if (std::isnan(y[i])) ++unseen;
      else ++m[static_cast<size_t>(y[i])][pred];
    }
    return {{"kind", "confusion"}, {"run", inc.run}, {"classes", classes}, {"matrix", m}, {"unseen_class_rows", unseen}, {"rows", y.size()}};
  }
  json points = json::array();
  double sq = 0;
  for (size_t i = 0; i < y.size(); ++i) sq += (out[i] - y[i]) * (out[i] - y[i]);
  const size_t step = std::max<size_t>(1, (y.size() + max_points - 1) / std::max<size_t>(1, max_points));
  for (size_t i = 0; i < y.size(); i += step) points.push_back({out[i], y[i] - out[i]});
  return {{"kind", "residuals"}, {"run", inc.run}, {"points", points}, {"rows", y.size()},
          {"rmse", y.empty() ? 0.0 : std::sqrt(sq / static_cast<double>(y.size()))}};
}

}  // namespace mlloop
