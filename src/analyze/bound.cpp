#include "mlloop/analyze/bound.hpp"
#include "mlloop/analyze/analyses.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mlloop/core/context.hpp"
#include "mlloop/metrics/metrics.hpp"
#include "mlloop/model/knn.hpp"
#include "mlloop/split/splitter.hpp"
#include "fitting.hpp"

namespace mlloop {

using analyze::quick_fit;
using analyze::take;
using analyze::take_rows;

namespace {
constexpr size_t kMaxRows = 200000;
constexpr int kFolds = 5;
// Rows enough to measure an error rate to about +-0.006 (95%, at 15%): at least this many
// held-out rows for the out-of-fold losses (whole folds, so up to a fold more), and exactly
// this many queries for the leave-one-out neighbour search. A table of up to 25,000 rows
// uses every fold and every row as a query, as before; a larger one measures on seeded
// subsets, which leaves each estimate's expectation alone (every fit still trains on 4/5 of
// the rows, every neighbour is searched among all of them) and cuts their cost: on 170,000
// rows, 1 fold fitted instead of 5, and 20,000 neighbour queries instead of 170,000.
constexpr size_t kEvalRows = 20000;

// Held-out loss (error rate, RMSE, or with `mae` the mean absolute error) of a family over the
// seeded folds of the shared out-of-fold predictions: the first folds until their held-out rows
// number kEvalRows (every fold on a small table). `held_out` gets that number of rows.
double out_of_fold_loss(const Family& family, const Params& params, const TaskShape& shape, const Matrix& x,
                        const std::vector<float>& y, const Registry& registry, Context& ctx, bool mae, size_t& held_out,
                        const std::vector<uint32_t>* groups) {
  const size_t per_fold = std::max<size_t>(1, x.rows / kFolds);
  const int used = static_cast<int>(std::min<size_t>(kFolds, (kEvalRows + per_fold - 1) / per_fold));
  std::vector<size_t> rows;
  std::vector<float> out = out_of_fold_predictions(x, y, shape, family.name, params, registry, ctx, kFolds, used, &rows, groups);
  std::sort(rows.begin(), rows.end());  // summed in row order: every fold gives the sum the full pass gave
  double loss = 0;
  for (size_t i : rows) {
    if (shape.classification) {
      const float* p = out.data() + i * shape.classes;
      loss += static_cast<float>(std::max_element(p, p + shape.classes) - p) != y[i];
    } else if (mae) {
      loss += std::abs(out[i] - y[i]);
    } else {
      loss += (out[i] - y[i]) * (out[i] - y[i]);
    }
  }
  held_out = rows.size();
  loss /= static_cast<double>(std::max<size_t>(1, rows.size()));
  return shape.classification || mae ? loss : std::sqrt(loss);
}

// The loss of the best constant prediction on these rows: the majority class's error, the mean
// absolute deviation from the median (mae), the standard deviation (rmse).
double constant_loss(const std::vector<float>& y, const TaskShape& shape, bool mae) {
  if (y.empty()) return 0;
  const double n = static_cast<double>(y.size());
  if (shape.classification) {
    std::vector<size_t> counts(std::max<size_t>(shape.classes, 1), 0);
    for (float v : y) ++counts[std::min(counts.size() - 1, static_cast<size_t>(v))];
    return 1.0 - static_cast<double>(*std::max_element(counts.begin(), counts.end())) / n;
  }
  if (mae) {
    std::vector<float> s = y;
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2), s.end());
    const double median = s[s.size() / 2];
    double sum = 0;
    for (float v : y) sum += std::abs(v - median);
    return sum / n;
  }
  double mean = 0, ss = 0;
  for (float v : y) mean += v;
  mean /= n;
  for (float v : y) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / n);
}

// The Gamma test's points, per query: the squared distance to its k-th neighbour and half the
// squared target difference, k = 1..p (queries x p, row-major).
struct GammaPoints {
  size_t queries = 0;
  std::vector<double> delta, gamma;
};

GammaPoints gamma_points(const Neighbours& nb, const std::vector<float>& y, size_t queries, size_t p) {
  GammaPoints g;
  g.queries = queries;
  g.delta.resize(queries * p);
  g.gamma.resize(queries * p);
  for (size_t i = 0; i < queries; ++i)
    for (size_t k = 0; k < p; ++k) {
      g.delta[i * p + k] = nb.dist2[i * p + k];
      const double d = y[static_cast<size_t>(nb.index[i * p + k])] - y[i];
      g.gamma[i * p + k] = 0.5 * d * d;
    }
  return g;
}

struct GammaLine {
  // nearest: gamma at k = 1; nearest_dist2: delta (a squared distance) at k = 1
  double intercept = 0, slope = 0, nearest = 0, nearest_dist2 = 0;
  // The line's value one stretch from 0 to the nearest neighbours below 0: the intercept less
  // the line's rise over that stretch. The extrapolation to 0 is trusted no further.
  double lower() const { return intercept - std::max(0.0, slope) * nearest_dist2; }
};

// The least-squares line through the p points (mean delta_k, mean gamma_k) over the queries.
GammaLine gamma_line(const GammaPoints& g, size_t p) {
  const size_t queries = g.queries;
  if (p == 0 || queries == 0) return {};  // not reached: the caller needs 2 rows or more
  std::vector<double> delta(p, 0), gamma(p, 0);
  for (size_t i = 0; i < queries; ++i)
    for (size_t k = 0; k < p; ++k) {
      delta[k] += g.delta[i * p + k];
      gamma[k] += g.gamma[i * p + k];
    }
  for (size_t k = 0; k < p; ++k) {
    delta[k] /= static_cast<double>(queries);
    gamma[k] /= static_cast<double>(queries);
  }
  const double md = std::accumulate(delta.begin(), delta.end(), 0.0) / static_cast<double>(p);
  const double mg = std::accumulate(gamma.begin(), gamma.end(), 0.0) / static_cast<double>(p);
  double sxy = 0, sxx = 0;
  for (size_t k = 0; k < p; ++k) {
    sxy += (delta[k] - md) * (gamma[k] - mg);
    sxx += (delta[k] - md) * (delta[k] - md);
  }
  GammaLine l;
  l.slope = sxx > 0 ? sxy / sxx : 0;
  l.intercept = mg - l.slope * md;
  l.nearest = gamma[0];
  l.nearest_dist2 = delta[0];
  return l;
}

}  // namespace

double cover_hart_lower_bound(double nn_error, size_t classes) {
  const double k = static_cast<double>(std::max<size_t>(classes, 2));
  const double inside = 1.0 - k / (k - 1.0) * std::min(nn_error, (k - 1.0) / k);
  return (k - 1.0) / k * (1.0 - std::sqrt(std::max(0.0, inside)));
}

namespace {
// The neighbours' estimate says nothing of the optimum: their Gamma test failed, or even the
// lowest optimum they allow lies above the upper end, a default model's out-of-fold loss, which
// no optimum can (their distances miss what the models use: a category of many levels read as
// codes in frequency order, with three classes, put the 1-NN error at 0.48 and Cover-Hart's
// lower end at 0.26 where the gbdt erred 0.23). Clamped to the upper end, that bracket had no
// width and read "at the optimum" as soon as a model matched the default gbdt, with a variance
// gap of 20 points open. The bound is then only [0, the best out-of-fold loss], its midpoint
// the estimate.
OptimalBound neighbours_uninformative(OptimalBound b, const char* method) {
  b.low = 0;
  b.value = b.high / 2;
  b.method = method;
  return b;
}
// The leave-one-out error of the p neighbours' majority vote (a tie goes to the class of the
// nearest among the tied): the neighbours' own classifier.
double neighbour_vote_error(const Neighbours& nb, const std::vector<float>& y, size_t queries, size_t p) {
  if (queries == 0 || p == 0) return 0;
  size_t wrong = 0;
  std::vector<std::pair<float, size_t>> counts;
  for (size_t i = 0; i < queries; ++i) {
    counts.clear();
    for (size_t k = 0; k < p; ++k) {
      const float c = y[static_cast<size_t>(nb.index[i * p + k])];
      auto it = std::find_if(counts.begin(), counts.end(), [c](const auto& e) { return e.first == c; });
      if (it == counts.end()) counts.emplace_back(c, 1);
      else ++it->second;
    }
    // counts is in order of first appearance, nearest first: max_element keeps the first of the tied.
    const auto best = std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    if (best->first != y[i]) ++wrong;
  }
  return static_cast<double>(wrong) / static_cast<double>(queries);
}
}  // namespace

OptimalBound estimate_optimal_error(const Matrix& x_all, const std::vector<float>& y_all, const TaskShape& shape,
                                    const Registry& registry, Context& ctx, bool mae, const std::vector<uint32_t>* groups_all) {
  mae = mae && !shape.classification;
  // At most 200k rows, drawn at random (seeded).
  Matrix x = x_all;
  std::vector<float> y = y_all;
  std::vector<uint32_t> groups;
  if (groups_all && groups_all->size() == x_all.rows) groups = *groups_all;
  if (x.rows > kMaxRows) {
    std::vector<size_t> order(x.rows);
    std::iota(order.begin(), order.end(), size_t{0});
    seeded_shuffle(order, ctx.seed + 7);
    order.resize(kMaxRows);
    std::sort(order.begin(), order.end());
    x = take_rows(x_all, order);
    y = take(y_all, order);
    if (!groups.empty()) {
      std::vector<uint32_t> kept;
      for (size_t i : order) kept.push_back(groups[i]);
      groups = std::move(kept);
    }
  }
  const std::vector<uint32_t>* by_group = groups.empty() ? nullptr : &groups;
  const Family& gbdt = registry.get("gbdt");
  // 1. Feature weights: a quick gbdt's importances (share of total gain).
  Params quick{{"max_depth", 4}, {"eta", 0.1}, {"rounds", 300}, {"early_stopping", 20}};
  auto model = quick_fit(gbdt, quick, shape, x, y, ctx);
  std::vector<double> w = model->feature_importance();
  Matrix xw = x;
  for (size_t i = 0; i < xw.rows; ++i)
    for (size_t j = 0; j < xw.cols; ++j) xw.at(i, j) *= static_cast<float>(w[j]);
  // The neighbour search's queries: every row; on a larger table a seeded sample of
  // kEvalRows rows, moved to the front of the points, so that query i is point i and
  // leave-one-out skips it. yw follows the points' order.
  std::vector<float> yw = y;
  if (xw.rows > kEvalRows) {
    std::vector<size_t> order(xw.rows);
    std::iota(order.begin(), order.end(), size_t{0});
    seeded_shuffle(order, ctx.seed + 11);
    xw = take_rows(xw, order);
    yw = take(y, order);
  }
  const size_t nq = std::min(xw.rows, kEvalRows);
  const Matrix queries{nq, xw.cols, std::vector<float>(xw.data.begin(), xw.data.begin() + static_cast<std::ptrdiff_t>(nq * xw.cols))};

  OptimalBound b;
  b.evidence["rows"] = x.rows;
  b.evidence["feature_weights"] = w;
  // 2. Upper end: the best out-of-fold loss.
  size_t held_out = 0;
  TaskShape fitted = shape;  // for mae linear fits the least absolute error, as train does (fit_shape)
  fitted.absolute_loss = mae;
  double oof_gbdt = out_of_fold_loss(gbdt, Params::object(), fitted, x, y, registry, ctx, mae, held_out, by_group);
  double oof_linear = out_of_fold_loss(registry.get("linear"), Params::object(), fitted, x, y, registry, ctx, mae, held_out, by_group);
  if (by_group) b.evidence["folds"] = "groups";
  b.evidence["held_out_rows"] = held_out;
  b.evidence["neighbour_queries"] = std::min(x.rows, kEvalRows);
  b.evidence["oof_gbdt"] = oof_gbdt;
  b.evidence["oof_linear"] = oof_linear;
  // The best constant bounds the optimum too: the majority class, the median (mae) or the mean.
  // Where the features say nothing (labels drawn at random) both models err above it: 300 rows
  // of coin flips put the gbdt's out-of-fold error at 0.519 and the majority class's at 0.467.
  const double constant = constant_loss(y, shape, mae);
  b.evidence["constant"] = constant;
  b.high = std::min({oof_gbdt, oof_linear, constant});

  // The 10 nearest neighbours of each query (leave-one-out), for the lower end. (A table of
  // one row has none: train holds at least 14, but this function is public.)
  if (x.rows < 2) {
    b.low = 0;
    b.value = b.high / 2;
    b.method = "oof_only:too_few_rows";
    return b;
  }
  const size_t p = std::min<size_t>(10, x.rows - 1);
  const Neighbours neighbours = knn_search(xw, queries, p, true, ctx.threads, ctx.deadline);
  GammaPoints points = gamma_points(neighbours, yw, nq, p);
  if (shape.classification) {
    // 3. Lower end: Cover–Hart on the asymptotic 1-NN error, in the weighted space. The
    // leave-one-out 1-NN error at this many rows overstates it wherever the class changes
    // between a row and its nearest neighbour, and with many features that matter even the
    // nearest is far (8 such features in 5,000 rows: 1-NN 0.25, the gbdt 0.14, Bayes 0.07;
    // Cover–Hart on 0.25 put the lower end at the gbdt's error). As for regression's Gamma
    // test below: the disagreement with the k-th neighbour, k = 1..10, against its squared
    // distance, is extrapolated to distance 0 and trusted for no more than that stretch again.
    for (auto& v : points.gamma) v = v > 0 ? 1.0 : 0.0;  // the k-th neighbour's class differs
    const GammaLine line = gamma_line(points, p);
    const double nn = line.nearest;  // the leave-one-out 1-NN error
    const double asymptotic = std::clamp(line.lower(), 0.0, nn);
    // The estimate is the midpoint of Cover–Hart on that and the upper end. The 1-NN error is
    // itself measured, on nq queries, so the lower end also takes its sampling error off
    // (binomial, 95%). Without it a few thousand rows gave a lower end above the Bayes error
    // and an interval of no width: on underfit (Bayes 0.05) at 3,500 training rows [0.0593,
    // 0.0594], on at_optimum (0.08) [0.0849, 0.0849]. The estimate itself stays: moved down
    // with the lower end it fell 0.033 below multiclass_blobs' Bayes error (0.206).
    //
    // With more than two classes, Cover–Hart's K-class inversion is the lowest optimum the
    // 1-NN error allows: every error spread evenly over all K - 1 other classes. It stays the
    // lower end. The estimate's point value reads the 1-NN error as two classes competing at
    // each point, as along the boundaries of overlapping classes; where no more than two do,
    // the two-class relation holds at each point, and so over the table. The K-class value lay
    // far below the optimum wherever classes overlapped: multiclass_blobs (5 classes, Bayes
    // 0.206) got 0.151 from an extrapolated 1-NN error of 0.274, and an estimate of 0.177; a
    // 6-class softmax table (Bayes 0.289) an estimate of 0.258, now 0.276. Where the optimum is
    // low the two agree (0.0196 and 0.0198 on satellite's 6 classes).
    const double sampling = 1.96 * std::sqrt(nn * (1 - nn) / static_cast<double>(nq));
    // (Two classes' inversion tops out at 0.5; beyond a 1-NN error of about 0.6 to 0.75 the
    // K-class one is the larger, and the point value never goes below the lower end's.)
    const double point =
        std::min(std::max(cover_hart_lower_bound(asymptotic, 2), cover_hart_lower_bound(asymptotic, shape.classes)), b.high);
    // The lower end extrapolates the same disagreements in the distance itself, not its square.
    // Where the posterior changes smoothly, a neighbour's disagreement grows with the squared
    // distance (as regression's differences do); across a sharp class boundary it grows with the
    // distance (the share of neighbours at distance r beyond the boundary is proportional to r).
    // A line in r through a curve that rises as r^2 meets 0 below that curve's value there, and a
    // line in r^2 through one that rises as r meets it above: the line in r errs low under
    // both, as a lower end should. The line in r^2 alone left the lower end above the Bayes error
    // on boundaries of flipped labels: underfit (Bayes 0.05) at 3,500 training rows, 1-NN error
    // 0.134, lower end 0.0566, and the loop read a gbdt at 0.060 with a variance gap of 2 points
    // as the optimum.
    GammaPoints by_distance = points;
    for (auto& v : by_distance.delta) v = std::sqrt(std::max(0.0, v));
    const double asymptotic_low = std::clamp(gamma_line(by_distance, p).intercept, 0.0, asymptotic);
    const double lower = cover_hart_lower_bound(std::max(0.0, asymptotic_low - sampling), shape.classes);
    b.evidence["nn_error_sampling"] = sampling;
    b.evidence["loo_1nn_error"] = nn;
    b.evidence["nn_error_intercept"] = line.intercept;
    b.evidence["nn_error_lower"] = asymptotic;
    b.evidence["nn_error_lower_by_distance"] = asymptotic_low;
    b.evidence["nn_nearest_dist2"] = line.nearest_dist2;
    const double vote = neighbour_vote_error(neighbours, yw, nq, p);
    b.evidence["knn_vote_error"] = vote;
    if (lower > b.high) {
      // Two things put the neighbours' lower end above the upper end. Their distances may miss
      // what the models use (above): then the neighbours' own classifier, the majority of the p
      // nearest, errs far more than the best model (the blind table of test_bound: 0.378
      // against 0.196). Or the table is at its optimum and the two ends, each measured, met
      // from either side: label_noise (15% flips on a linear boundary) at 3,500 rows put the
      // lower end at 0.161 against a linear out-of-fold error of 0.158, with the vote at 0.166;
      // the bracket opened to [0, 0.158], and the loop chased an avoidable bias of 8 points that
      // was not there. Where the vote errs no more than a quarter above the upper end (10-NN's
      // own excess at a boundary: 1.01-1.21x on the scenarios), the neighbours see what the
      // models see, and the optimum is the upper end, give or take its own sampling error.
      if (vote > 1.25 * b.high) return neighbours_uninformative(b, "oof_only:nn_bound_above_oof");
      const double high_sampling = 1.96 * std::sqrt(b.high * (1 - b.high) / static_cast<double>(std::max<size_t>(held_out, 1)));
      b.low = std::max(0.0, b.high - high_sampling);
      b.value = b.high;
      b.method = "cover_hart_weighted_1nn+oof:met";
      return b;
    }
    b.low = lower;
    b.value = (point + b.high) / 2;
    b.method = "cover_hart_weighted_1nn+oof";
  } else {
    // 3. The Gamma test: regress half the squared target differences of the k-th neighbours
    // on their squared distances, k = 1..10; the intercept estimates the noise variance (and
    // is trusted only as far as below).
    const GammaLine line = gamma_line(points, p);
    const double intercept = line.intercept;
    // The Gamma test estimates the noise itself; the best out-of-fold RMSE is the upper end.
    // A negative intercept is no estimate at all: the target varies faster between far
    // neighbours than the line through the near ones allows (noise that grows with the
    // target, as prices do). The bound is then only [0, best out-of-fold RMSE], and its
    // midpoint the estimate, as for classes; a 0 would make any model's training error look
    // like avoidable bias.
    b.evidence["gamma_intercept"] = intercept;
    b.evidence["gamma_slope"] = line.slope;
    b.evidence["gamma_nearest"] = line.nearest;
    // Near 0 either way, the intercept says the noise is about 0 (a target with next to no
    // noise, whose estimate sampling error pushes just below 0). Only an intercept well below
    // 0, a tenth of the nearest neighbours' semi-variance or more, is a failed test.
    if (intercept < -0.1 * line.nearest) return neighbours_uninformative(b, "oof_only:gamma_test_failed");
    // The intercept is an extrapolation, from the nearest neighbours' mean squared distance
    // down to 0, and only as good as the line over that stretch. Near neighbours (few features
    // that matter, many rows) make it short and the intercept close to the noise. Far ones
    // (8 features that matter among 5,000 rows) make it long, and the target's own variation
    // between neighbours bends the points (it levels off as they grow apart), so the line
    // lands above the noise: 0.46 for a noise of 0.2. So the extrapolation is trusted for no
    // more than its own length again: the lower end is the line's value one such stretch below
    // 0 (the intercept less the line's rise up to the nearest neighbours), the upper end of the
    // noise the intercept itself, and the estimate their midpoint. Near neighbours keep the
    // three together; far ones widen the bracket towards 0 instead of reading "at the optimum".
    b.evidence["gamma_nearest_dist2"] = line.nearest_dist2;
    b.method = "gamma_test+oof";
    // The lowest optimum the line allows: its noise sd's lower end (for mae times sqrt(1/2)).
    if (std::sqrt(std::max(0.0, line.lower())) * (mae ? std::sqrt(0.5) : 1.0) > b.high)
      return neighbours_uninformative(b, "oof_only:gamma_test_above_oof");
    if (mae) {
      // The Gamma test measures the noise's standard deviation; the optimal mean absolute error
      // is the noise's mean distance from its median. That is at most the standard deviation
      // whatever the noise, sqrt(2/pi) = 0.80 of it for Gaussian noise, 0.71 for Laplace and
      // 0.87 for uniform noise: the bracket's ends are the standard deviation's low end times
      // 0.71 and its high end, the estimate the Gaussian factor at their midpoint.
      const double sd_high = std::sqrt(std::max(0.0, intercept)), sd_low = std::sqrt(std::max(0.0, line.lower()));
      const double noise_high = std::min(sd_high, b.high);
      b.low = std::min(std::sqrt(0.5) * sd_low, noise_high);
      b.value = std::clamp(std::sqrt(2 / 3.141592653589793) * (sd_low + sd_high) / 2, b.low, noise_high);
      b.method = "gamma_test+oof:mae_from_sd";
      return b;
    }
    const double noise_high = std::min(std::sqrt(std::max(0.0, intercept)), b.high);
    b.low = std::min(std::sqrt(std::max(0.0, line.lower())), noise_high);
    b.value = (b.low + noise_high) / 2;
    return b;
  }
  return b;
}

}  // namespace mlloop
