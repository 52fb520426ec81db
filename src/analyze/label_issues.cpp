// Label issues. Classification: confident learning (Northcutt et al.) on 5-fold (3-fold above
// 50,000 rows) out-of-fold gbdt probabilities: the confident joint, calibrated to the label counts, estimates how many
// rows of each given label belong to each other class; that many rows, those with the largest
// margin for the other class, are flagged ("prune by noise rate"), fewer where the most
// confident decile shows that class overlap, not label noise, made the count, and none where
// even that decile is no better than chance. Regression: out-of-fold residuals with a robust
// z-score (median and MAD, within bins of similar prediction) above 3.5. Dev rows are never
// looked at here.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <fmt/format.h>
#include <numeric>

#include "fitting.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/analyze/analyses.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/core/parallel_jobs.hpp"
#include "mlloop/metrics/metrics.hpp"

namespace mlloop {

std::vector<float> out_of_fold_predictions(const Matrix& x, const std::vector<float>& y, const TaskShape& shape,
                                           const std::string& family, const Params& params, const Registry& registry,
                                           Context& ctx, int folds, int fit_folds, std::vector<size_t>* predicted,
                                           const std::vector<uint32_t>* groups) {
  const size_t width = shape.classification ? shape.classes : 1;
  std::vector<float> out(x.rows * width, 0.f);
  std::vector<int> fold = groups && groups->size() == x.rows ? analyze::fold_of_groups(*groups, folds, ctx.seed + 53)
                                                              : analyze::fold_of(x.rows, folds, ctx.seed + 53);
  const Family& fam = registry.get(family);
  const int fitted = fit_folds > 0 ? std::min(fit_folds, folds) : folds;
  if (predicted) predicted->clear();
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> finished{0};
  std::vector<std::vector<size_t>> held_by_fold(static_cast<size_t>(fitted));
  // The folds side by side on the context's threads (parallel_jobs), each in its own rows of `out`.
  parallel_jobs(static_cast<size_t>(fitted), ctx, [&](size_t f, Context& job_ctx) {
    if (job_ctx.deadline_passed()) throw BudgetExhausted();
    // With a deadline, a fold is not started when, at the pace of the folds finished so far,
    // those left cannot all finish before it: the analysis would be cut at the deadline anyway,
    // and this way the loop gets the rest of the time (26 classes x 14,000 rows: the bound's
    // first gbdt fold took 7 s of the analyses' 15 s share, and the four left would have taken 28 s).
    if (const int done = finished.load(); done > 0 && job_ctx.deadline) {
      const auto now = std::chrono::steady_clock::now();
      if (now + (now - start) / done * (fitted - done) > *job_ctx.deadline) throw BudgetExhausted();
    }
    std::vector<size_t> train, held;
    for (size_t i = 0; i < x.rows; ++i) (fold[i] == static_cast<int>(f) ? held : train).push_back(i);
    if (held.empty() || train.empty()) {  // fewer groups than folds
      ++finished;
      return;
    }
    auto model = analyze::quick_fit(fam, params, shape, analyze::take_rows(x, train), analyze::take(y, train), job_ctx);
    std::vector<float> p = model->predict(analyze::take_rows(x, held));
    for (size_t i = 0; i < held.size(); ++i)
      std::copy_n(p.data() + i * width, width, out.data() + held[i] * width);
    held_by_fold[f] = std::move(held);
    ++finished;
  });
  if (predicted)
    for (const auto& held : held_by_fold) predicted->insert(predicted->end(), held.begin(), held.end());
  return out;
}

nlohmann::json label_issues(const AnalysisData& d, const Registry& registry, Context& ctx) {
  const size_t n = d.x.rows;
  // Out-of-fold predictions of gbdt and of linear; the better of the two (lower log loss, or
  // squared error) is used: the cleaner its probabilities, the cleaner the separation.
  // 5 folds; 3 above 50,000 rows, where a model fitted on 2/3 of the rows predicts about as
  // well as one fitted on 4/5, and the analysis takes half the time (45 s to about 22 s on
  // 170,000 rows x 50 columns).
  const int folds = n > 50000 ? 3 : 5;
  std::vector<float> oof = out_of_fold_predictions(d.x, d.y, d.shape, "gbdt", Params{{"max_depth", 4}}, registry, ctx, folds);
  std::string chosen = "gbdt";
  if (d.x_std.rows == d.x.rows) {
    std::vector<float> lin = out_of_fold_predictions(d.x_std, d.y, d.shape, "linear", Params::object(), registry, ctx, folds);
    auto loss = [&](const std::vector<float>& p) {
      double l = 0;
      for (size_t i = 0; i < n; ++i) {
        if (d.shape.classification) {
          l -= std::log(std::max(1e-15, static_cast<double>(p[i * d.shape.classes + static_cast<size_t>(d.y[i])])));
        } else {
          l += (p[i] - d.y[i]) * (p[i] - d.y[i]);
        }
      }
      return l;
    };
    if (loss(lin) < loss(oof)) {
      oof = std::move(lin);
      chosen = "linear";
    }
  }
  nlohmann::json details = nlohmann::json::array();
  nlohmann::json confident_decile = nullptr;  // classification: see below
  nlohmann::json unchecked = nullptr;         // why no label could be judged (classification)
  std::vector<std::pair<double, size_t>> suspects;  // (rank key, row), lower key first
  if (d.shape.classification) {
    const size_t k = d.shape.classes;
    std::vector<double> threshold(k, 0), count(k, 0);
    for (size_t i = 0; i < n; ++i) {
      auto c = static_cast<size_t>(d.y[i]);
      threshold[c] += oof[i * k + c];
      count[c] += 1;
    }
    for (size_t c = 0; c < k; ++c) threshold[c] = count[c] > 0 ? threshold[c] / count[c] : 1.0;
    // The confident joint: rows counted by (given label, most likely class among those whose
    // probability reaches that class's threshold).
    std::vector<std::vector<double>> joint(k, std::vector<double>(k, 0));
    for (size_t i = 0; i < n; ++i) {
      int best = -1;
      float best_p = -1;
      for (size_t c = 0; c < k; ++c) {
        float p = oof[i * k + c];
        if (p >= threshold[c] && p > best_p) {
          best_p = p;
          best = static_cast<int>(c);
        }
      }
      if (best >= 0) joint[static_cast<size_t>(d.y[i])][static_cast<size_t>(best)] += 1;
    }
    // Calibrated to the label counts, each off-diagonal cell estimates how many rows given
    // label g truly belong to class t. Prune by noise rate: for each (g, t), flag that many
    // rows given g, those with the largest margin p_t - p_g.
    std::vector<int> suggested(n, -1);
    std::vector<double> margin(n, -2);
    for (size_t g = 0; g < k; ++g) {
      double row = std::accumulate(joint[g].begin(), joint[g].end(), 0.0);
      if (row <= 0) continue;
      std::vector<size_t> given;
      for (size_t i = 0; i < n; ++i)
        if (static_cast<size_t>(d.y[i]) == g) given.push_back(i);
      for (size_t t = 0; t < k; ++t) {
        if (t == g) continue;
        auto take = static_cast<size_t>(std::llround(joint[g][t] / row * count[g]));
        if (take == 0) continue;
        std::vector<std::pair<double, size_t>> by_margin;
        for (size_t i : given) by_margin.emplace_back(oof[i * k + t] - oof[i * k + g], i);
        std::sort(by_margin.rbegin(), by_margin.rend());
        for (size_t r = 0; r < take && r < by_margin.size(); ++r) {
          size_t i = by_margin[r].second;
          if (by_margin[r].first <= 0) break;  // only rows the model prefers another class for
          if (by_margin[r].first > margin[i]) {
            margin[i] = by_margin[r].first;
            suggested[i] = static_cast<int>(t);
          }
        }
      }
    }
    for (size_t i = 0; i < n; ++i)
      if (suggested[i] >= 0) suspects.emplace_back(oof[i * k + static_cast<size_t>(d.y[i])], i);  // least self-confident first
    std::sort(suspects.begin(), suspects.end());
    // Label noise or class overlap? Labels flipped at random are wrong even where the model is
    // most sure; classes that overlap make it unsure where they do. Among the decile of rows
    // with the most confident out-of-fold prediction (at least 100 rows, or all), the share
    // whose label is not that prediction estimates the rate of random flips (with whatever
    // overlap is left there), though below it: 10.6% and 13% on two label_noise tables with
    // 15% planted. When confident learning counted more than three times that share, and more
    // than the upper end of its 95% interval, most of the count is the overlap near the
    // boundary (a clean table with overlapping classes: seattle_weather, 20% of its rows
    // "mislabeled" and 0.3% of its most confident decile; credit_data 12.3% and 2.9-3.5%): the
    // flagged rows are cut to the decile's share, most suspicious first. Flips at random keep
    // their count (label_noise 15.0% against 10.6%, at_optimum, underfit, variance: at most
    // 1.5 times the decile's share).
    {
      std::vector<std::pair<float, size_t>> sure(n);
      for (size_t i = 0; i < n; ++i)
        sure[i] = {*std::max_element(oof.begin() + static_cast<std::ptrdiff_t>(i * k), oof.begin() + static_cast<std::ptrdiff_t>((i + 1) * k)), i};
      const size_t m = std::min(n, std::max<size_t>(100, n / 10));
      std::partial_sort(sure.begin(), sure.begin() + static_cast<std::ptrdiff_t>(m), sure.end(), std::greater<>());
      size_t wrong = 0;
      double chance = 0;  // the disagreement expected of predictions that know nothing (below)
      for (size_t j = 0; j < m; ++j) {
        const size_t i = sure[j].second;
        const float* p = oof.data() + i * k;
        const auto predicted = static_cast<size_t>(std::max_element(p, p + k) - p);
        wrong += predicted != static_cast<size_t>(d.y[i]);
        chance += 1 - count[predicted] / static_cast<double>(n);
      }
      const double rate = m ? static_cast<double>(wrong) / static_cast<double>(m) : 0;
      const double high = metrics::wilson(rate, m).high;
      chance = m ? chance / static_cast<double>(m) : 0;
      confident_decile = {{"rows", m}, {"disagree", rate}, {"high", high}, {"chance", chance}};
      const double counted = n ? static_cast<double>(suspects.size()) / static_cast<double>(n) : 0;
      // Confident learning second-guesses a label only as far as the model knows better. If
      // even its most confident predictions are not significantly better than chance (labels
      // independent of the features would disagree with a row predicted class c at the rate
      // of the rows not labelled c), it knows nothing to judge labels by, and every row it
      // errs on looks mislabeled: a target of coin flips had 49.9% of its labels "wrong", one
      // of 100 classes with 6 rows each 83%. No row is then flagged, and the analysis says why
      // (`unchecked`).
      if (m > 0 && high >= chance) {
        suspects.clear();
        unchecked = fmt::format(
            "the model's most confident out-of-fold predictions ({} rows) disagree with {:.1f}% of their labels (95% "
            "interval up to {:.1f}%), not clearly better than chance ({:.1f}%): there is no signal to judge the labels by",
            m, 100 * rate, 100 * high, 100 * chance);
      } else if (counted > 3 * rate && counted > high) {
        suspects.resize(std::min(suspects.size(), static_cast<size_t>(std::llround(rate * static_cast<double>(n)))));
      }
    }
    for (size_t s = 0; s < suspects.size(); ++s) {
      size_t i = suspects[s].second;
      details.push_back({{"row", d.row_ids[i]},
                         {"given", d.class_names[static_cast<size_t>(d.y[i])]},
                         {"suggested", d.class_names[static_cast<size_t>(suggested[i])]},
                         {"self_confidence", suspects[s].first}});
    }
  } else {
    // Robust z-scores of the residuals, within bins of similar prediction: the noise of many
    // targets grows with their size (prices, counts), and one global scale would flag the
    // honest rows at the top of the range as outliers (diamonds' prices: 12% of the rows).
    // Up to 20 bins of at least 200 rows each, by out-of-fold prediction; each bin's median
    // and MAD set its scale (the global MAD where a bin's is 0).
    std::vector<double> r(n);
    for (size_t i = 0; i < n; ++i) r[i] = d.y[i] - oof[i];
    auto median_of = [](std::vector<double> v) {
      const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
      std::nth_element(v.begin(), mid, v.end());
      return *mid;
    };
    auto mad_of = [&](const std::vector<double>& v, double med) {
      std::vector<double> dev(v.size());
      for (size_t i = 0; i < v.size(); ++i) dev[i] = std::fabs(v[i] - med);
      return 1.4826 * median_of(std::move(dev));
    };
    const double global_med = n ? median_of(r) : 0;
    const double global_mad = n ? mad_of(r, global_med) : 0;
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return oof[a] < oof[b]; });
    const size_t bins = std::clamp<size_t>(n / 200, 1, 20);
    std::vector<double> z(n, 0);
    for (size_t b = 0; b < bins; ++b) {
      const size_t lo = b * n / bins, hi = (b + 1) * n / bins;
      std::vector<double> rb;
      for (size_t j = lo; j < hi; ++j) rb.push_back(r[order[j]]);
      if (rb.empty()) continue;
      const double med = median_of(rb);
      double mad = mad_of(rb, med);
      if (mad <= 0) mad = global_mad;
      for (size_t j = lo; j < hi; ++j) z[order[j]] = mad > 0 ? (r[order[j]] - med) / mad : 0;
    }
    for (size_t i = 0; i < n; ++i)
      if (std::fabs(z[i]) > 3.5) suspects.emplace_back(-std::fabs(z[i]), i);
    std::sort(suspects.begin(), suspects.end());
    for (size_t k = 0; k < suspects.size(); ++k) {
      size_t i = suspects[k].second;
      details.push_back({{"row", d.row_ids[i]}, {"given", float_as_written(d.y[i])}, {"predicted", float_as_written(oof[i])}, {"robust_z", -suspects[k].first}});
    }
  }
  std::vector<int64_t> rows;
  for (const auto& [key, i] : suspects) rows.push_back(d.row_ids[i]);
  return {{"estimated_noise_rate", n ? static_cast<double>(suspects.size()) / static_cast<double>(n) : 0.0},
          {"rows", rows},
          {"details", details},
          {"method", d.shape.classification ? "confident_learning_prune_by_noise_rate" : "robust_z_oof_residuals_binned"},
          {"model", chosen},
          {"folds", folds},
          {"confident_decile", confident_decile},
          {"unchecked", unchecked}};
}

std::optional<std::string> heavy_tailed_residuals_caveat(const std::string& metric, double share) {
  if ((metric != "rmse" && metric != "mae") || share <= 0.01) return std::nullopt;
  return fmt::format("{:.1f}% of the rows lie beyond 3.5 robust standard deviations, where noise of a bell-shaped spread puts "
                     "0.05%: either that many targets are corrupt, or the target's noise is heavy-tailed or skewed (as prices' "
                     "and durations' often is) and these rows are that noise",
                     100 * share);
}

std::optional<std::string> flagged_share_against_optimal(const std::string& metric, double share, std::optional<double> optimal) {
  if (metric != "error" || !optimal || share < 0.5 * *optimal) return std::nullopt;
  return share > *optimal ? "above" : "much of";
}

}  // namespace mlloop
