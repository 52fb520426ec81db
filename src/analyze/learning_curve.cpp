#include "mlloop/analyze/learning_curve.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "fitting.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/parallel_jobs.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop {

namespace {
constexpr int kRepeats = 3;
constexpr size_t kMinRows = 50;

double loss_of(const std::vector<float>& out, const std::vector<float>& y, const TaskShape& shape, const CurveInput& in) {
  if (!in.metric.empty() && in.metric != "error" && in.metric != "rmse")
    return metrics::as_loss(in.metric, metrics::compute(in.metric, to_predictions(out, y, shape, in.positive)));
  double l = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (shape.classification) {
      const float* p = out.data() + i * shape.classes;
      l += std::isnan(y[i]) || static_cast<float>(std::max_element(p, p + shape.classes) - p) != y[i];
    } else {
      l += (out[i] - y[i]) * (out[i] - y[i]);
    }
  }
  l /= static_cast<double>(std::max<size_t>(1, y.size()));
  return shape.classification ? l : std::sqrt(l);
}
}  // namespace

PowerLaw fit_power_law(const std::vector<double>& n, const std::vector<double>& err, const std::vector<double>& weight,
                       double floor) {
  MLLOOP_ASSERT(err.size() == n.size() && (weight.empty() || weight.size() == n.size()));
  const std::vector<double> w = weight.empty() ? std::vector<double>(n.size(), 1.0) : weight;
  const double wsum = std::accumulate(w.begin(), w.end(), 0.0);
  PowerLaw best;
  double best_sse = std::numeric_limits<double>::infinity();
  for (int k = 0; k <= 390; ++k) {
    double b = 0.05 + 0.005 * k;
    // Weighted least squares for (a, c) in err = a x + c, x = n^-b; clamped to a >= 0, c >= floor.
    std::vector<double> x(n.size());
    for (size_t i = 0; i < n.size(); ++i) x[i] = std::pow(n[i], -b);
    double mx = 0, my = 0;
    for (size_t i = 0; i < n.size(); ++i) {
      mx += w[i] * x[i] / wsum;
      my += w[i] * err[i] / wsum;
    }
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n.size(); ++i) {
      sxy += w[i] * (x[i] - mx) * (err[i] - my);
      sxx += w[i] * (x[i] - mx) * (x[i] - mx);
    }
    double a = sxx > 0 ? std::max(0.0, sxy / sxx) : 0.0;
    double c = my - a * mx;
    if (c < floor) {  // refit with c at the floor
      c = floor;
      double xy = 0, xx = 0;
      for (size_t i = 0; i < n.size(); ++i) {
        xy += w[i] * x[i] * (err[i] - floor);
        xx += w[i] * x[i] * x[i];
      }
      a = xx > 0 ? std::max(0.0, xy / xx) : 0.0;
    }
    double sse = 0;
    for (size_t i = 0; i < n.size(); ++i) sse += w[i] * (a * x[i] + c - err[i]) * (a * x[i] + c - err[i]);
    if (sse < best_sse) {
      best_sse = sse;
      best = PowerLaw{a, b, c};
    }
  }
  return best;
}

std::vector<double> curve_weights(const std::vector<double>& half_widths) {
  // A spread below 1e-9 of the largest is rounding (repeats alike to the last bit can leave
  // about 1e-9 from the square root of a difference), not a measurement: it counts as none.
  double top = 0;
  for (double h : half_widths)
    if (std::isfinite(h)) top = std::max(top, h);
  const double tiny = 1e-9 * top;
  double floor = std::numeric_limits<double>::infinity();
  for (double h : half_widths)
    if (std::isfinite(h) && h > tiny) floor = std::min(floor, h);
  if (!std::isfinite(floor)) return std::vector<double>(half_widths.size(), 1.0);
  std::vector<double> w;
  for (double h : half_widths) {
    // An unknown spread (a fold's loss not finite) weighs as the least precise point.
    const double v = std::isfinite(h) ? std::max(h, floor) : top;
    w.push_back(floor * floor / (v * v));  // scaled so that the best-measured point weighs 1
  }
  return w;
}

nlohmann::json learning_curve(const CurveInput& in, const Registry& registry, Context& ctx) {
  const size_t n = in.train_x.rows;
  const size_t top = std::max<size_t>(kMinRows, static_cast<size_t>(static_cast<double>(n) * in.max_fraction));
  const Family& family = registry.get(in.family);
  CurveMeasure m;
  m.dev_by_repeat.resize(kRepeats);
  const bool reuse_full = in.full && top == n;
  const std::vector<size_t> sizes = curve_sizes(top, !reuse_full);
  // Every (size, repeat) fit side by side on the context's threads (parallel_jobs), each its
  // own slot; the sums are taken in order after.
  const size_t repeats = static_cast<size_t>(kRepeats);
  std::vector<double> tr(sizes.size() * repeats), dv(sizes.size() * repeats);
  parallel_jobs(tr.size(), ctx, [&](size_t job, Context& job_ctx) {
    const size_t s = sizes[job / repeats];
    const int r = static_cast<int>(job % repeats);
    std::vector<size_t> rows(n);
    std::iota(rows.begin(), rows.end(), size_t{0});
    seeded_shuffle(rows, ctx.seed + 1000 * s + static_cast<uint64_t>(r));
    rows.resize(s);
    Matrix x = analyze::take_rows(in.train_x, rows);
    std::vector<float> y = analyze::take(in.train_y, rows);
    // The run's own config at every size (resolved: its bins and sampling stay the run's,
    // not the analyses').
    auto model = analyze::quick_fit(family, resolve_params(family, in.params), in.shape, x, y, job_ctx);
    tr[job] = loss_of(model->predict(x), y, in.shape, in);
    dv[job] = loss_of(model->predict(in.dev_x), in.dev_y, in.shape, in);
  });
  for (size_t i = 0; i < sizes.size(); ++i) {
    double tr_sum = 0, dv_sum = 0;
    for (size_t r = 0; r < repeats; ++r) {
      tr_sum += tr[i * repeats + r];
      dv_sum += dv[i * repeats + r];
      m.dev_by_repeat[r].push_back(dv[i * repeats + r]);
    }
    m.rows.push_back(static_cast<double>(sizes[i]));
    m.train.push_back(tr_sum / kRepeats);
    m.dev.push_back(dv_sum / kRepeats);
  }
  if (reuse_full) {  // the sizes above stop below n
    m.rows.push_back(static_cast<double>(n));
    m.train.push_back(in.full->first);
    m.dev.push_back(in.full->second);
    for (auto& rep : m.dev_by_repeat) rep.push_back(in.full->second);
  }
  m.floor = in.floor;
  nlohmann::json out = curve_json(m);
  out["estimated_by"] = "split";
  return out;
}

std::vector<size_t> curve_sizes(size_t top, bool with_top) {
  std::vector<size_t> sizes;
  for (int k = 5; k >= (with_top ? 0 : 1); --k) {
    size_t s = top >> k;
    if (s >= kMinRows && (sizes.empty() || s > sizes.back())) sizes.push_back(s);
  }
  return sizes;
}

nlohmann::json curve_json(const CurveMeasure& m) {
  const size_t repeats = m.dev_by_repeat.size();
  nlohmann::json points = nlohmann::json::array();
  std::vector<double> dev_half;
  for (size_t i = 0; i < m.rows.size(); ++i) {
    // The interval: the spread of the repeats' (or folds') dev losses around their mean.
    double sum = 0, sq = 0;
    bool alike = true;  // repeats equal (the split mode's last point, the run itself): no spread
    for (const auto& rep : m.dev_by_repeat) {
      sum += rep[i];
      sq += rep[i] * rep[i];
      alike = alike && rep[i] == m.dev_by_repeat.front()[i];
    }
    const double mean = sum / static_cast<double>(repeats);
    const double sd = alike ? 0.0 : std::sqrt(std::max(0.0, sq / static_cast<double>(repeats) - mean * mean));
    const double half = 1.96 * sd / std::sqrt(static_cast<double>(repeats));
    points.push_back({{"rows", static_cast<size_t>(m.rows[i])}, {"train", m.train[i]}, {"dev", m.dev[i]}, {"dev_low", m.dev[i] - half},
                      {"dev_high", m.dev[i] + half}});
    dev_half.push_back(half);
  }
  const std::vector<double>& ns = m.rows;
  const std::vector<double>& dev_mean = m.dev;
  // Shape checks, within noise: the dev error should not rise with more data (monotone), and
  // its drops should shrink (convex).
  bool monotone = true, convex = true;
  for (size_t i = 1; i < dev_mean.size(); ++i)
    if (dev_mean[i] - dev_mean[i - 1] > dev_half[i] + dev_half[i - 1] + 1e-9) monotone = false;
  for (size_t i = 2; i < dev_mean.size(); ++i) {
    double d1 = dev_mean[i - 2] - dev_mean[i - 1], d2 = dev_mean[i - 1] - dev_mean[i];
    if (d2 - d1 > dev_half[i] + dev_half[i - 1] + dev_half[i - 2] + 1e-9) convex = false;
  }
  nlohmann::json out{{"points", points}, {"monotone", monotone}, {"convex", convex}, {"repeats", repeats},
                     {"predicted_dev_at_2x", nullptr}, {"predicted_dev_at_10x", nullptr}};
  if (ns.size() < 3 || !monotone || !convex) {
    out["extrapolated"] = false;
    out["reason"] = ns.size() < 3 ? "fewer than 3 training sizes" : !monotone ? "the dev curve is not monotone"
                                                                             : "the dev curve is not convex";
    return out;
  }
  const std::vector<double> weights = curve_weights(dev_half);
  const double floor = std::max(0.0, std::min(m.floor, *std::min_element(dev_mean.begin(), dev_mean.end())));
  PowerLaw fit = fit_power_law(ns, dev_mean, weights, floor);
  const double last = ns.back();
  // A forecast above the last point would say more rows of the same kind make the model worse:
  // a fit held at its floor, or a noisy last point under the fit, can put it there. It is the
  // last point then.
  const double now = dev_mean.back();
  const auto forecast = [&](const PowerLaw& f, double rows) { return std::min(f.at(rows), now); };
  out["fit"] = {{"a", fit.a}, {"b", fit.b}, {"c", fit.c}, {"floor", floor}};
  out["predicted_dev_at_2x"] = forecast(fit, 2 * last);
  out["predicted_dev_at_10x"] = forecast(fit, 10 * last);
  std::vector<double> p2, p10;
  if (m.pooled) {
    // Out of fold: each fold's curve is measured on a fifth of the rows, and a power law fitted
    // to one is far noisier than the pooled curve (on a 1,500-row regression the five folds'
    // forecasts at 2x all lay above the pooled one, which a 3,000-row sample then matched). The
    // range is that of the pooled curve's forecast over seeded resamples of the folds, each
    // resample's mean curve shifted onto the pooled one: the 5% and 95% quantiles of 200.
    const size_t k = m.dev_by_repeat.size();
    std::vector<double> mean_all(ns.size(), 0);
    for (const auto& rep : m.dev_by_repeat)
      for (size_t i = 0; i < ns.size(); ++i) mean_all[i] += rep[i] / static_cast<double>(k);
    std::mt19937_64 rng(0x1EA2C0);
    for (int b = 0; b < 200; ++b) {
      std::vector<double> curve = dev_mean;
      for (size_t j = 0; j < k; ++j) {
        const auto& rep = m.dev_by_repeat[rng() % k];
        for (size_t i = 0; i < ns.size(); ++i) curve[i] += (rep[i] - mean_all[i]) / static_cast<double>(k);
      }
      PowerLaw f = fit_power_law(ns, curve, weights, floor);
      p2.push_back(forecast(f, 2 * last));
      p10.push_back(forecast(f, 10 * last));
    }
    auto quantiles = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return nlohmann::json::array({v[v.size() * 5 / 100], v[v.size() * 95 / 100]});
    };
    out["predicted_dev_at_2x_range"] = quantiles(p2);
    out["predicted_dev_at_10x_range"] = quantiles(p10);
  } else {
    // An interval from the repeats: the same fit on each repeat's curve.
    for (const auto& rep : m.dev_by_repeat) {
      PowerLaw f = fit_power_law(ns, rep, weights, floor);
      p2.push_back(forecast(f, 2 * last));
      p10.push_back(forecast(f, 10 * last));
    }
    out["predicted_dev_at_2x_range"] = {*std::min_element(p2.begin(), p2.end()), *std::max_element(p2.begin(), p2.end())};
    out["predicted_dev_at_10x_range"] = {*std::min_element(p10.begin(), p10.end()), *std::max_element(p10.begin(), p10.end())};
  }
  out["extrapolated"] = true;
  return out;
}

bool curve_still_falls(const nlohmann::json& curve) {
  if (!curve.value("extrapolated", false)) return false;
  const double now = curve.at("points").back().at("dev"), at10 = curve.at("predicted_dev_at_10x");
  return at10 < 0.95 * now;
}

}  // namespace mlloop
