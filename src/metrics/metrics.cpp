#include "mlloop/metrics/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <random>
#include <span>
#include <stdexcept>

#include "mlloop/core/splitmix.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::metrics {

namespace {
constexpr double kZ95 = 1.959963984540054;

std::vector<size_t> all_rows(const Predictions& p, const std::vector<size_t>& idx) {
  if (!idx.empty()) return idx;
  std::vector<size_t> r(p.rows());
  std::iota(r.begin(), r.end(), size_t{0});
  return r;
}

double error_rate(const Predictions& p, const std::vector<size_t>& idx) {
  size_t wrong = 0;
  for (size_t i : idx) wrong += p.predicted_class(i) != p.y[i];
  return idx.empty() ? 0.0 : static_cast<double>(wrong) / static_cast<double>(idx.size());
}

double balanced_error(const Predictions& p, const std::vector<size_t>& idx) {
  std::vector<double> n(p.classes, 0), right(p.classes, 0);
  for (size_t i : idx) {
    if (p.y[i] < 0) continue;  // a class the model never saw in training
    n[static_cast<size_t>(p.y[i])] += 1;
    right[static_cast<size_t>(p.y[i])] += p.predicted_class(i) == p.y[i];
  }
  double sum = 0;
  int present = 0;
  for (size_t k = 0; k < p.classes; ++k)
    if (n[k] > 0) {
      sum += right[k] / n[k];
      ++present;
    }
  return present ? 1.0 - sum / present : 0.0;
}

double logloss(const Predictions& p, const std::vector<size_t>& idx) {
  double s = 0;
  for (size_t i : idx) {
    double q = p.y[i] < 0
                   ? 1e-15
                   : std::clamp(static_cast<double>(p.proba[i * p.classes + static_cast<size_t>(p.y[i])]), 1e-15, 1.0);
    s -= std::log(q);
  }
  return idx.empty() ? 0.0 : s / static_cast<double>(idx.size());
}

// Binary AUC of class k against the rest, by the rank-sum (Mann-Whitney) formula with ties
// counted half.
double auc_one(const Predictions& p, const std::vector<size_t>& idx, size_t k) {
  std::vector<std::pair<float, bool>> s;
  s.reserve(idx.size());
  for (size_t i : idx) s.emplace_back(p.proba[i * p.classes + k], static_cast<size_t>(p.y[i]) == k);
  std::sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.first < b.first; });
  double pos = 0, rank_sum = 0;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j < s.size() && s[j].first == s[i].first) ++j;
    double avg_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2.0;  // 1-based
    for (size_t t = i; t < j; ++t)
      if (s[t].second) {
        rank_sum += avg_rank;
        pos += 1;
      }
    i = j;
  }
  double neg = static_cast<double>(s.size()) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

double auc(const Predictions& p, const std::vector<size_t>& idx) {
  if (p.classes == 2) return auc_one(p, idx, static_cast<size_t>(p.positive));
  double s = 0;
  for (size_t k = 0; k < p.classes; ++k) s += auc_one(p, idx, k);
  return s / static_cast<double>(p.classes);
}

double f1_one(const Predictions& p, const std::vector<size_t>& idx, int32_t k) {
  double tp = 0, fp = 0, fn = 0;
  for (size_t i : idx) {
    bool pred = p.predicted_class(i) == k, truth = p.y[i] == k;
    tp += pred && truth;
    fp += pred && !truth;
    fn += !pred && truth;
  }
  return tp == 0 ? 0.0 : 2 * tp / (2 * tp + fp + fn);
}

double f1(const Predictions& p, const std::vector<size_t>& idx) {
  if (p.classes == 2) return f1_one(p, idx, p.positive);
  double s = 0;
  for (size_t k = 0; k < p.classes; ++k) s += f1_one(p, idx, static_cast<int32_t>(k));
  return s / static_cast<double>(p.classes);
}

// Expected calibration error of the top-class confidence, 10 equal-width bins.
double ece(const Predictions& p, const std::vector<size_t>& idx) {
  constexpr int kBins = 10;
  double conf[kBins] = {}, acc[kBins] = {}, n[kBins] = {};
  for (size_t i : idx) {
    int32_t c = p.predicted_class(i);
    double q = p.proba[i * p.classes + static_cast<size_t>(c)];
    int b = std::min(kBins - 1, static_cast<int>(q * kBins));
    conf[b] += q;
    acc[b] += c == p.y[i];
    n[b] += 1;
  }
  double s = 0;
  for (int b = 0; b < kBins; ++b)
    if (n[b] > 0) s += std::fabs(acc[b] - conf[b]);
  return idx.empty() ? 0.0 : s / static_cast<double>(idx.size());
}

double regression(std::string_view name, const Predictions& p, const std::vector<size_t>& idx) {
  double se = 0, ae = 0, mean = 0;
  for (size_t i : idx) mean += p.target[i];
  mean /= std::max<size_t>(1, idx.size());
  double ss = 0;
  for (size_t i : idx) {
    double e = p.value[i] - p.target[i];
    se += e * e;
    ae += std::fabs(e);
    ss += (p.target[i] - mean) * (p.target[i] - mean);
  }
  double n = static_cast<double>(std::max<size_t>(1, idx.size()));
  if (name == "rmse") return std::sqrt(se / n);
  if (name == "mae") return ae / n;
  return ss > 0 ? 1.0 - se / ss : 0.0;  // r2
}

// Metrics that are a function of a mean of per-row terms (rmse: sqrt of the mean squared
// error; mae; logloss): the terms, so a bootstrap resample costs one sum instead of a full
// recomputation. Empty for the other metrics.
std::vector<double> row_terms(std::string_view name, const Predictions& p) {
  std::vector<double> t;
  const size_t n = p.rows();
  if (!p.classification && (name == "rmse" || name == "mae")) {
    t.resize(n);
    for (size_t i = 0; i < n; ++i) {
      double e = p.value[i] - p.target[i];
      t[i] = name == "rmse" ? e * e : std::fabs(e);
    }
  } else if (p.classification && name == "logloss") {
    t.resize(n);
    for (size_t i = 0; i < n; ++i)
      t[i] =
          -std::log(p.y[i] < 0 ? 1e-15
                               : std::clamp(static_cast<double>(p.proba[i * p.classes + static_cast<size_t>(p.y[i])]),
                                            1e-15, 1.0));
  }
  return t;
}
double from_mean(std::string_view name, double mean) { return name == "rmse" ? std::sqrt(mean) : mean; }
// From this many rows on, a metric that is a mean of per-row terms gets the normal-theory
// interval of its mean instead of a bootstrap. The terms can be skewed (squared errors are);
// the interval's coverage error shrinks as skewness / sqrt(n), about 0.06 here for a
// chi-squared term with one degree of freedom (Metrics.NormalIntervalOfAMeanCovers checks it).
constexpr size_t kNormalIntervalRows = 2000;

// A seeded resampler: splitmix64 with Lemire's multiply-shift reduction to [0, n). Several
// times faster than mt19937_64 with uniform_int_distribution, which dominated the cost of
// an interval on large splits.
struct Resampler {
  uint64_t state;
  explicit Resampler(uint64_t seed) : state(seed) {}
  size_t operator()(size_t n) {
    return static_cast<size_t>((static_cast<unsigned __int128>(splitmix64(state)) * n) >> 64);
  }
};

// Two-sided exact binomial p-value for k successes out of n at p = 1/2.
double binomial_two_sided(size_t k, size_t n) {
  if (n == 0) return 1.0;
  size_t lo = std::min(k, n - k);
  // P(X <= lo) computed in log space, doubled.
  double log_half_n = static_cast<double>(n) * std::log(0.5), sum = 0;
  for (size_t i = 0; i <= lo; ++i)
    sum += std::exp(std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(i) + 1) -
                    std::lgamma(static_cast<double>(n - i) + 1) + log_half_n);
  return std::min(1.0, 2 * sum);
}

// Two-sided p-value of a paired sign-flip test on integer differences (zeros left out):
// P(|sum s_i v_i| >= |sum v_i|) over independent signs s_i = +-1. Exact (the distribution of
// the signed sum, built difference by difference) up to 500 differences; beyond, the normal
// approximation with a continuity correction. On differences of +-1 it is McNemar's exact test.
double sign_flip_two_sided(const std::vector<int>& v) {
  int64_t total = 0, sum = 0;
  double squares = 0;
  for (int x : v) {
    total += std::abs(x);
    sum += x;
    squares += static_cast<double>(x) * x;
  }
  const int64_t observed = std::abs(sum);
  if (observed == 0) return 1.0;
  if (v.size() > 500)
    return std::min(1.0, std::erfc((static_cast<double>(observed) - 0.5) / std::sqrt(squares) / std::sqrt(2.0)));
  std::vector<double> dist(static_cast<size_t>(2 * total + 1), 0.0), next(dist.size());
  dist[static_cast<size_t>(total)] = 1;  // index = partial sum + total
  int64_t reach = 0;
  for (int x : v) {
    const int64_t a = std::abs(x);
    std::fill(next.begin(), next.end(), 0.0);
    for (int64_t j = total - reach; j <= total + reach; ++j) {
      const double q = dist[static_cast<size_t>(j)] * 0.5;
      if (q == 0) continue;
      next[static_cast<size_t>(j + a)] += q;
      next[static_cast<size_t>(j - a)] += q;
    }
    reach += a;
    dist.swap(next);
  }
  double p = 0;
  for (int64_t j = 0; j <= 2 * total; ++j)
    if (std::abs(j - total) >= observed) p += dist[static_cast<size_t>(j)];
  return std::min(1.0, p);
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t i = static_cast<size_t>(pos);
  double f = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}
}  // namespace

int32_t Predictions::predicted_class(size_t i) const {
  const float* row = proba.data() + i * classes;
  return static_cast<int32_t>(std::max_element(row, row + classes) - row);
}

const std::vector<std::string>& classification_metrics() {
  static const std::vector<std::string> m = {"error", "balanced_error", "logloss", "auc", "f1", "ece"};
  return m;
}
const std::vector<std::string>& regression_metrics() {
  static const std::vector<std::string> m = {"rmse", "mae", "r2"};
  return m;
}
bool higher_is_better(std::string_view name) { return name == "auc" || name == "f1" || name == "r2"; }
double as_loss(std::string_view name, double value) { return higher_is_better(name) ? 1.0 - value : value; }

std::string said(std::string_view name, double loss) {
  if (higher_is_better(name)) return fmt::format("{} {:.4f} (as a loss {:.4f})", name, 1.0 - loss, loss);
  return fmt::format("{} {}", name, fmt_value(loss));
}

Interval as_loss(std::string_view name, const Interval& iv) {
  const bool flip = higher_is_better(name);
  return {as_loss(name, iv.value), as_loss(name, flip ? iv.high : iv.low), as_loss(name, flip ? iv.low : iv.high)};
}

double compute(std::string_view name, const Predictions& p, const std::vector<size_t>& idx_in) {
  auto idx = all_rows(p, idx_in);
  if (p.classification) {
    if (name == "error") return error_rate(p, idx);
    if (name == "balanced_error") return balanced_error(p, idx);
    if (name == "logloss") return logloss(p, idx);
    if (name == "auc") return auc(p, idx);
    if (name == "f1") return f1(p, idx);
    if (name == "ece") return ece(p, idx);
  } else if (name == "rmse" || name == "mae" || name == "r2") {
    return regression(name, p, idx);
  }
  throw std::invalid_argument("unknown metric for this task: " + std::string(name));
}

Interval wilson(double rate, size_t n) {
  Interval r;
  r.value = r.low = r.high = rate;
  if (n == 0) return r;
  double nn = static_cast<double>(n), z2 = kZ95 * kZ95;
  double centre = (rate + z2 / (2 * nn)) / (1 + z2 / nn);
  double half = kZ95 * std::sqrt(rate * (1 - rate) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
  r.low = std::clamp(centre - half, 0.0, rate);  // clamps also rounding at 0 and 1
  r.high = std::clamp(centre + half, rate, 1.0);
  return r;
}

Interval with_interval(std::string_view name, const Predictions& p, uint64_t seed, int bootstrap) {
  Interval r;
  r.value = compute(name, p);
  const size_t n = p.rows();
  if (name == "error" && p.classification) return wilson(r.value, n);
  if (n == 0) return r;
  std::vector<double> t = row_terms(name, p);
  if (!t.empty() && n >= kNormalIntervalRows) {
    // A mean of per-row terms on a large split: the central limit interval of the mean,
    // mapped through the metric (a square root for rmse). The bootstrap converges to it, at
    // `bootstrap` times n random draws (about 20 ms for 200 resamples of 40,000 rows).
    double mean = 0, m2 = 0;
    for (double v : t) mean += v;
    mean /= static_cast<double>(n);
    for (double v : t) m2 += (v - mean) * (v - mean);
    const double half = kZ95 * std::sqrt(m2 / static_cast<double>(n - 1) / static_cast<double>(n));
    r.low = std::min(r.value, from_mean(name, std::max(0.0, mean - half)));
    r.high = std::max(r.value, from_mean(name, mean + half));
    return r;
  }
  Resampler pick(seed);
  std::vector<double> stats;
  stats.reserve(static_cast<size_t>(std::max(0, bootstrap)));
  if (!t.empty()) {
    for (int b = 0; b < bootstrap; ++b) {
      double sum = 0;
      for (size_t k = 0; k < n; ++k) sum += t[pick(n)];
      stats.push_back(from_mean(name, sum / static_cast<double>(n)));
    }
  } else {
    std::vector<size_t> idx(n);
    for (int b = 0; b < bootstrap; ++b) {
      for (auto& i : idx) i = pick(n);
      stats.push_back(compute(name, p, idx));
    }
  }
  r.low = percentile(stats, 0.025);
  r.high = percentile(stats, 0.975);
  return r;
}

namespace {
// A paired bootstrap of the loss difference A - B over rows, each drawn row with its
// predictions of every repeat (a[k] and b[k]: repeat k, all on the same rows): sets r's
// interval, p-value, test and resamples. One repeat is the plain paired bootstrap.
void paired_bootstrap(std::string_view name, std::span<const Predictions> a, std::span<const Predictions> b, uint64_t seed,
                      int bootstrap, Paired& r) {
  const size_t reps = a.size(), n = a[0].rows();
  const double R = static_cast<double>(reps);
  r.test = "paired_bootstrap";
  r.resamples = bootstrap;
  Resampler pick(seed);
  std::vector<std::vector<double>> ta(reps), tb(reps);
  bool terms = true;
  for (size_t k = 0; k < reps && terms; ++k) {
    ta[k] = row_terms(name, a[k]);
    tb[k] = row_terms(name, b[k]);
    terms = !ta[k].empty() && !tb[k].empty();
  }
  std::vector<double> ra(n, 0.0), rb(n, 0.0);  // per-row terms averaged over the repeats
  if (terms)
    for (size_t k = 0; k < reps; ++k)
      for (size_t i = 0; i < n; ++i) {
        ra[i] += ta[k][i] / R;
        rb[i] += tb[k][i] / R;
      }
  std::vector<double> diffs;
  // Resamples with A below B count 1 and ties (a difference of exactly 0, common for f1 or auc
  // on few rows) count a half, on each side: counted as below, all-tied-or-below gave p = 0
  // beside an interval ending at 0.
  double non_positive = 0;
  std::vector<size_t> idx(n);
  for (int s = 0; s < bootstrap && n > 0; ++s) {
    for (auto& i : idx) i = pick(n);
    double d = 0;
    if (terms) {
      double sa = 0, sb = 0;
      for (size_t i : idx) {
        sa += ra[i];
        sb += rb[i];
      }
      d = from_mean(name, sa / static_cast<double>(n)) - from_mean(name, sb / static_cast<double>(n));  // all are losses
    } else {
      for (size_t k = 0; k < reps; ++k)
        d += (as_loss(name, compute(name, a[k], idx)) - as_loss(name, compute(name, b[k], idx))) / R;
    }
    diffs.push_back(d);
    non_positive += d < 0 ? 1.0 : d == 0 ? 0.5 : 0.0;
  }
  r.low = percentile(diffs, 0.025);
  r.high = percentile(diffs, 0.975);
  const double frac = non_positive / bootstrap;
  r.p_value = std::min(1.0, 2 * std::min(frac, 1 - frac));
}
}  // namespace

Paired compare(std::string_view name, const Predictions& a, const Predictions& b, uint64_t seed, int bootstrap) {
  Paired r;
  const size_t n = a.rows();
  r.diff = as_loss(name, compute(name, a)) - as_loss(name, compute(name, b));
  if (name == "error" && a.classification) {
    size_t only_a = 0, only_b = 0;  // rows only A gets right, rows only B gets right
    for (size_t i = 0; i < n; ++i) {
      bool ra = a.predicted_class(i) == a.y[i], rb = b.predicted_class(i) == b.y[i];
      only_a += ra && !rb;
      only_b += rb && !ra;
    }
    r.test = "mcnemar";
    r.p_value = binomial_two_sided(only_a, only_a + only_b);
    // Interval of the paired difference in error (Wald, on the discordant pairs).
    double nn = static_cast<double>(n), d = r.diff;
    double var = (static_cast<double>(only_a + only_b) / nn - d * d) / nn;
    double half = kZ95 * std::sqrt(std::max(0.0, var));
    r.low = d - half;
    r.high = d + half;
  } else {
    paired_bootstrap(name, {&a, 1}, {&b, 1}, seed, bootstrap, r);
  }
  r.b_better_significant = r.diff > 0 && r.p_value < 0.05;
  return r;
}

Paired compare_repeated(std::string_view name, const std::vector<Predictions>& a, const std::vector<Predictions>& b,
                        uint64_t seed, int bootstrap) {
  const size_t reps = std::min(a.size(), b.size());
  if (reps == 0) return Paired{};
  if (reps == 1) return compare(name, a[0], b[0], seed, bootstrap);
  const size_t n = a[0].rows();
  for (size_t k = 0; k < reps; ++k)
    if (a[k].rows() != n || b[k].rows() != n)
      throw std::invalid_argument("compare_repeated: every repeat must hold the same rows");
  Paired r;
  for (size_t k = 0; k < reps; ++k)
    r.diff += (as_loss(name, compute(name, a[k])) - as_loss(name, compute(name, b[k]))) / static_cast<double>(reps);
  const double R = static_cast<double>(reps);
  if (name == "error" && a[0].classification) {
    // Per row: (repeats A gets wrong) - (repeats B gets wrong), an integer in [-R, R].
    std::vector<int> v;
    double sum = 0, squares = 0;
    for (size_t i = 0; i < n; ++i) {
      int d = 0;
      for (size_t k = 0; k < reps; ++k)
        d += (a[k].predicted_class(i) != a[k].y[i]) - (b[k].predicted_class(i) != b[k].y[i]);
      if (d != 0) v.push_back(d);
      sum += d / R;
      squares += (d / R) * (d / R);
    }
    r.test = "sign_flip";
    r.p_value = sign_flip_two_sided(v);
    // Interval of the mean per-row difference (normal theory over rows).
    const double nn = static_cast<double>(n), mean = sum / nn;
    const double var = n > 1 ? std::max(0.0, (squares - nn * mean * mean) / (nn - 1)) / nn : 0.0;
    r.low = r.diff - kZ95 * std::sqrt(var);
    r.high = r.diff + kZ95 * std::sqrt(var);
  } else {
    paired_bootstrap(name, a, b, seed, bootstrap, r);
  }
  r.b_better_significant = r.diff > 0 && r.p_value < 0.05;
  return r;
}

}  // namespace mlloop::metrics
