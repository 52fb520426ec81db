// drop_drifting_features: leave out the features whose relation to the target breaks
// between train and dev (a shortcut that holds in train only), or, failing that, the
// features whose distribution drifts most.
#include <algorithm>
#include <cmath>

#include "mlloop/analyze/analyses.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/model/pipeline.hpp"
#include "mlloop/project/project_data.hpp"
#include "remedies.hpp"

namespace mlloop {

namespace {
double corr(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = a.size();
  if (n < 4) return 0;
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(n), mb /= static_cast<double>(n);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}
}  // namespace

nlohmann::json relation_drift(const Project& project, const ProjectData& data, Context& ctx) {
  (void)ctx;
  const SplitPart& train = data.data_part(SplitName::train);
  const bool cls = is_classification(project.config.task);
  Pipeline pipe;
  Pipeline::Options opt;  // standardized: one-hot categories become 0/1 features
  opt.group_column = project.config.split.group_column();
  pipe.fit(*train.data, train.positions, project.config.target, cls, opt);
  Matrix xt = pipe.transform(*train.data, train.positions);
  std::vector<float> yt = pipe.target(*train.data, train.positions);
  std::vector<float> yd;
  const Matrix xd = dev_features(pipe, data, &yd);
  const auto names = pipe.feature_names();
  const auto sources = pipe.feature_sources();
  // The target as one or more numeric series: the value, or one-vs-rest indicators.
  const size_t k = cls ? pipe.classes().size() : 1;
  const size_t series = cls ? (k == 2 ? 1 : k) : 1;
  auto target_series = [&](const std::vector<float>& y, size_t s) {
    std::vector<double> out(y.size());
    for (size_t i = 0; i < y.size(); ++i) out[i] = cls ? (static_cast<size_t>(y[i]) == (k == 2 ? 1 : s) ? 1.0 : 0.0) : y[i];
    return out;
  };
  const double alpha = 0.05 / static_cast<double>(std::max<size_t>(1, names.size() * series));
  std::map<std::string, double> column_change;
  std::map<std::string, bool> column_breaks;
  nlohmann::json features = nlohmann::json::array();
  for (size_t j = 0; j < names.size(); ++j) {
    std::vector<double> a(xt.rows), b(xd.rows);
    for (size_t i = 0; i < xt.rows; ++i) a[i] = xt.at(i, j);
    for (size_t i = 0; i < xd.rows; ++i) b[i] = xd.at(i, j);
    double worst = 0, worst_p = 1, rt = 0, rd = 0;
    for (size_t s = 0; s < series; ++s) {
      double r1 = corr(a, target_series(yt, s)), r2 = corr(b, target_series(yd, s));
      double z = (std::atanh(std::clamp(r1, -0.999, 0.999)) - std::atanh(std::clamp(r2, -0.999, 0.999))) /
                 std::sqrt(1.0 / std::max(1.0, xt.rows - 3.0) + 1.0 / std::max(1.0, xd.rows - 3.0));
      double p = std::erfc(std::abs(z) / std::sqrt(2.0));
      if (std::abs(r1 - r2) > worst) worst = std::abs(r1 - r2), worst_p = p, rt = r1, rd = r2;
    }
    bool breaks = worst_p < alpha && worst > 0.1;
    const std::string& col = sources[j].first;
    column_change[col] = std::max(column_change[col], worst);
    column_breaks[col] = column_breaks[col] || breaks;
    features.push_back({{"feature", names[j]}, {"column", col}, {"corr_train", rt}, {"corr_dev", rd}, {"p_value", worst_p}, {"breaks", breaks}});
  }
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [col, b] : column_breaks)
    if (b) ranked.emplace_back(-column_change[col], col);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> drifting;
  for (const auto& [neg, col] : ranked) drifting.push_back(col);
  return {{"features", features}, {"drifting", drifting}, {"alpha", alpha}};
}

namespace remedy {

namespace {
std::vector<std::string> targets(const LoopView& v) {
  std::vector<std::string> cols;
  if (v.relation_drift.is_object()) cols = v.relation_drift.at("drifting").get<std::vector<std::string>>();
  if (cols.empty() && !v.diagnosis.at("shift").is_null() && v.diagnosis.at("shift").at("low").get<double>() > 0.55)
    cols = v.diagnosis.at("shift").at("top_features").get<std::vector<std::string>>();
  std::vector<std::string> out;
  for (auto& c : cols)
    if (std::find(v.incumbent_recipe.drop_columns.begin(), v.incumbent_recipe.drop_columns.end(), c) == v.incumbent_recipe.drop_columns.end())
      out.push_back(c);
  return out;
}
}  // namespace

Remedy drop_drifting_features() {
  Remedy r;
  r.name = "drop_drifting_features";
  r.summary = "leave out features whose relation to the target breaks between train and dev";
  r.applies = [](const LoopView& v) { return v.incumbent.model != "baseline" && !targets(v).empty(); };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    auto cols = targets(v);
    std::vector<Candidate> c;
    for (size_t n : {size_t{1}, std::min<size_t>(3, cols.size())}) {
      if (!c.empty() && n == 1) continue;
      if (n > 1 && n == c.front().recipe.drop_columns.size() - v.incumbent_recipe.drop_columns.size()) continue;
      Candidate k{v.incumbent.model, v.incumbent.params, v.incumbent_recipe, ""};
      std::string names;
      for (size_t i = 0; i < n; ++i) {
        k.recipe.drop_columns.push_back(cols[i]);
        names += (i ? ", " : "") + cols[i];
      }
      k.label = fmt::format("drop {}", names);
      c.push_back(std::move(k));
    }
    train_all(c, t);
  };
  return r;
}

}  // namespace remedy
}  // namespace mlloop
