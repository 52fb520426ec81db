// Shift between train and dev: adversarial validation (a gbdt trained to tell train rows from
// dev rows; its out-of-fold AUC with a bootstrap interval) and per-feature drift tests
// (two-sample Kolmogorov–Smirnov for numbers, chi-square for categories), Bonferroni-corrected
// for the number of features. Drifting features are ranked by their importance in the domain
// classifier.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "fitting.hpp"
#include "mlloop/analyze/analyses.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop {

namespace {
constexpr size_t kMaxSide = 20000;
constexpr double kAlpha = 0.01;

// P(K > x) for the Kolmogorov distribution.
double kolmogorov_q(double x) {
  if (x < 0.2) return 1.0;
  double s = 0;
  for (int j = 1; j <= 100; ++j) s += 2 * ((j % 2) ? 1 : -1) * std::exp(-2.0 * j * j * x * x);
  return std::clamp(s, 0.0, 1.0);
}

std::pair<double, double> ks_test(std::vector<float> a, std::vector<float> b) {
  auto drop_nan = [](std::vector<float>& v) { v.erase(std::remove_if(v.begin(), v.end(), [](float x) { return std::isnan(x); }), v.end()); };
  drop_nan(a);
  drop_nan(b);
  if (a.empty() || b.empty()) return {0.0, 1.0};
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    float v = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == v) ++i;
    while (j < b.size() && b[j] == v) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / a.size() - static_cast<double>(j) / b.size()));
  }
  double en = std::sqrt(static_cast<double>(a.size()) * b.size() / static_cast<double>(a.size() + b.size()));
  return {d, kolmogorov_q((en + 0.12 + 0.11 / en) * d)};
}

// Chi-square test of equal category frequencies; p from the Wilson–Hilferty approximation.
std::pair<double, double> chi_square_test(const std::vector<float>& a, const std::vector<float>& b) {
  std::map<float, std::pair<double, double>> counts;  // NaN counts as its own category
  for (float v : a) counts[std::isnan(v) ? -1e30f : v].first += 1;
  for (float v : b) counts[std::isnan(v) ? -1e30f : v].second += 1;
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size()), n = na + nb;
  double chi = 0;
  for (auto& [k, c] : counts) {
    double total = c.first + c.second;
    double ea = total * na / n, eb = total * nb / n;
    chi += (c.first - ea) * (c.first - ea) / ea + (c.second - eb) * (c.second - eb) / eb;
  }
  double df = std::max(1.0, static_cast<double>(counts.size()) - 1);
  double z = (std::cbrt(chi / df) - (1 - 2 / (9 * df))) / std::sqrt(2 / (9 * df));
  return {chi, 0.5 * std::erfc(z / std::sqrt(2.0))};
}
}  // namespace

nlohmann::json shift_analysis(const ShiftInput& in, const Registry& registry, Context& ctx) {
  // Up to 20k rows from each side.
  const bool grouped = in.train_groups.size() == in.train_x.rows && in.dev_groups.size() == in.dev_x.rows &&
                       !in.train_groups.empty() && !in.dev_groups.empty();
  std::vector<uint32_t> groups;
  auto sample = [&](const Matrix& x, const std::vector<uint32_t>& g, uint64_t salt) {
    std::vector<size_t> rows(x.rows);
    std::iota(rows.begin(), rows.end(), size_t{0});
    if (rows.size() > kMaxSide) {
      seeded_shuffle(rows, ctx.seed + salt);
      rows.resize(kMaxSide);
      std::sort(rows.begin(), rows.end());
    }
    if (grouped)
      for (size_t i : rows) groups.push_back(g[i]);
    return analyze::take_rows(x, rows);
  };
  Matrix tr = sample(in.train_x, in.train_groups, 201), dv = sample(in.dev_x, in.dev_groups, 202);
  Matrix both;
  both.append_rows(tr);
  both.append_rows(dv);
  std::vector<float> domain(both.rows, 0.f);
  std::fill(domain.begin() + static_cast<std::ptrdiff_t>(tr.rows), domain.end(), 1.f);
  const TaskShape shape{true, 2};
  Params quick{{"max_depth", 4}, {"eta", 0.1}, {"rounds", 200}, {"early_stopping", 20}};
  std::vector<float> oof =
      out_of_fold_predictions(both, domain, shape, "gbdt", quick, registry, ctx, 5, 0, nullptr, grouped ? &groups : nullptr);
  metrics::Predictions p;
  p.classes = 2;
  p.positive = 1;
  p.proba = oof;
  p.y.assign(domain.begin(), domain.end());
  auto auc = metrics::with_interval("auc", p, ctx.seed, 200);

  auto model = analyze::quick_fit(registry.get("gbdt"), quick, shape, both, domain, ctx);
  std::vector<double> importance = model->feature_importance();
  std::map<std::string, double> column_importance;
  nlohmann::json features = nlohmann::json::array();
  std::map<std::string, bool> column_drifts;
  const double alpha = kAlpha / static_cast<double>(std::max<size_t>(1, in.feature_names.size()));
  for (size_t j = 0; j < in.feature_names.size(); ++j) {
    std::vector<float> a(tr.rows), b(dv.rows);
    for (size_t i = 0; i < tr.rows; ++i) a[i] = tr.at(i, j);
    for (size_t i = 0; i < dv.rows; ++i) b[i] = dv.at(i, j);
    auto [stat, pv] = in.categorical[j] ? chi_square_test(a, b) : ks_test(a, b);
    bool drifting = pv < alpha;
    double imp = j < importance.size() ? importance[j] : 0.0;
    column_importance[in.columns[j]] += imp;
    column_drifts[in.columns[j]] = column_drifts[in.columns[j]] || drifting;
    features.push_back({{"feature", in.feature_names[j]}, {"column", in.columns[j]}, {"test", in.categorical[j] ? "chi_square" : "ks"},
                        {"statistic", stat}, {"p_value", pv}, {"importance", imp}, {"drifting", drifting}});
  }
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [col, drifts] : column_drifts)
    if (drifts) ranked.emplace_back(-column_importance[col], col);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> top;
  for (const auto& [neg, col] : ranked) top.push_back(col);
  return {{"adversarial_auc", auc.value}, {"low", auc.low}, {"high", auc.high}, {"top_features", top},
          {"features", features}, {"alpha", alpha}, {"rows", {{"train", tr.rows}, {"dev", dv.rows}}}};
}

}  // namespace mlloop
