// Target leakage: a feature that alone predicts the target almost exactly. Such a feature is
// most often recorded after the outcome or derived from it (a "days overdue" column beside a
// "defaulted" target, an invoice total beside the price it sums), and unavailable when a
// prediction is made; a model that leans on it reaches an error that is an illusion, and the
// loop would stop there content (`at_optimum`, `goal_reached`). The check is cheap and fits
// no model: each feature's values are binned (its distinct values, or 64 quantile bins; a
// category's levels each their own; missing its own bin), each bin predicts its majority class or mean rank, and that rule's error on
// held-out training rows (two halves, each scored by the other's rule) is set against
// predicting without any feature. Training rows only: a small dev set could not tell 5% of its
// errors, and the leak is in the data, not in a split.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include "mlloop/analyze/analyses.hpp"

namespace mlloop {
namespace {
using json = nlohmann::json;

constexpr size_t kBins = 64;
// A feature is flagged when its rule's held-out error is at most this share of the error without
// features: 5% of the errors for a class, and an error rate of at most 1% besides; for a value,
// an RMSE of 10% of its ranks' (R^2 of 0.99 on the ranks; see ranks()). A real feature rarely
// does that alone: on the bundled tables the best one leaves 27% (seattle_weather's
// precipitation) to 94% of the errors, and diamonds' carat 25% of its price ranks' RMSE. Iris is the textbook exception: petal width alone errs on about 4% of the
// flowers, 7% of the errors without features, and a lucky split could take that under 5%;
// the 1% keeps "almost exactly" for what a leak gives (days overdue beside a default flag: 0%).
constexpr double kClassShare = 0.05, kClassError = 0.01, kValueShare = 0.10;
// Too few rows (or errors without features) to tell 5% of them: not checked.
constexpr size_t kMinRows = 100;
constexpr double kMinBaselineErrors = 20;

// The bins of one feature, from its training values: the distinct values when there are at
// most kBins of them, else cut points at the quantiles. Missing values have the last bin.
struct Bins {
  std::vector<float> cuts;
  size_t count() const { return cuts.size() + 2; }
  size_t of(float v) const {
    if (std::isnan(v)) return cuts.size() + 1;
    return static_cast<size_t>(std::lower_bound(cuts.begin(), cuts.end(), v) - cuts.begin());  // (cuts[k-1], cuts[k]]
  }
};

// A category's codes (as the trees' pipeline writes them, in no meaningful order) each get a bin
// of their own, however many there are: quantile bins of arbitrary codes would mix the levels of
// different classes, and a leak through a status code of 200 levels would go unseen. Levels seen
// in only one half predict nothing there (the fallback), so many small levels do not look like
// a leak.
Bins bins_of(const Matrix& x, size_t col, const std::vector<size_t>& rows) {
  std::vector<float> v;
  v.reserve(rows.size());
  for (size_t i : rows)
    if (float f = x.at(i, col); !std::isnan(f)) v.push_back(f);
  std::sort(v.begin(), v.end());
  Bins b;
  std::vector<float> distinct = v;
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  const bool category = col < x.categorical.size() && x.categorical[col];
  if (distinct.size() <= kBins || category) {
    b.cuts = std::move(distinct);
    return b;
  }
  for (size_t k = 1; k < kBins; ++k) {
    float c = v[k * v.size() / kBins];
    if (b.cuts.empty() || c > b.cuts.back()) b.cuts.push_back(c);
  }
  return b;
}

// The rows' two halves (alternate rows): each half's rule is fitted on the other.
std::array<std::vector<size_t>, 2> halves(size_t n) {
  std::array<std::vector<size_t>, 2> h;
  for (size_t i = 0; i < n; ++i) h[i % 2].push_back(i);
  return h;
}

// The held-out error (error rate or RMSE) of the rule "each bin of this feature predicts its
// rows' majority class (mean, for a value: of its ranks, given as `y`)", fitted on one half of the rows and scored on the other, both
// ways. A bin without rows predicts what the half predicts without features; with no column
// (col = npos) every row does.
double rule_error(const Matrix& x, const std::vector<float>& y, const TaskShape& shape, size_t col) {
  const auto h = halves(x.rows);
  double loss = 0;
  for (int k = 0; k < 2; ++k) {
    const std::vector<size_t>& fit = h[static_cast<size_t>(k)];
    const std::vector<size_t>& score = h[static_cast<size_t>(1 - k)];
    const Bins b = col == std::string::npos ? Bins{} : bins_of(x, col, fit);
    auto bin = [&](size_t i) { return col == std::string::npos ? size_t{0} : b.of(x.at(i, col)); };
    const size_t nb = b.count();
    const size_t width = shape.classification ? shape.classes : 2;  // class counts, or sum and count
    std::vector<double> stats((nb + 1) * width, 0.0);               // the last row: the whole half
    for (size_t i : fit) {
      for (size_t at : {bin(i), nb}) {
        if (shape.classification) {
          stats[at * width + static_cast<size_t>(y[i])] += 1;
        } else {
          stats[at * width] += y[i];
          stats[at * width + 1] += 1;
        }
      }
    }
    auto predict = [&](size_t at) {
      const auto first = stats.begin() + static_cast<std::ptrdiff_t>(at * width);
      if (shape.classification) {
        const auto top = std::max_element(first, first + static_cast<std::ptrdiff_t>(width));
        return std::make_pair(*top > 0, static_cast<double>(top - first));
      }
      return std::make_pair(first[1] > 0, first[1] > 0 ? first[0] / first[1] : 0.0);
    };
    std::vector<double> pred(nb);
    const double fallback = predict(nb).second;
    for (size_t at = 0; at < nb; ++at) {
      const auto [seen, p] = predict(at);
      pred[at] = seen ? p : fallback;
    }
    for (size_t i : score) {
      const double d = pred[bin(i)] - y[i];
      loss += shape.classification ? (d != 0) : d * d;
    }
  }
  loss /= static_cast<double>(std::max<size_t>(1, x.rows));
  return shape.classification ? loss : std::sqrt(loss);
}

// A value's ranks, scaled to [0, 1] (ties share their mean rank). The rule's bins hold a
// skewed target's tail poorly: a copy of a log-normal price (sigma 1) left a third of its RMSE
// with 64 bins, and a copy is what must be found. Any monotone function of the target has the
// target's ranks, and each bin of it holds a 64th of them.
std::vector<float> ranks(const std::vector<float>& y) {
  std::vector<size_t> order(y.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return y[a] < y[b]; });
  std::vector<float> r(y.size());
  const double top = static_cast<double>(std::max<size_t>(1, y.size() - 1));
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && y[order[j]] == y[order[i]]) ++j;
    const double mean = (static_cast<double>(i) + static_cast<double>(j - 1)) / 2;
    for (size_t k = i; k < j; ++k) r[order[k]] = static_cast<float>(mean / top);
    i = j;
  }
  return r;
}
}  // namespace

json leakage_check(const Matrix& x, const std::vector<float>& target, const TaskShape& shape,
                   const std::vector<std::string>& columns, const std::vector<std::string>& features) {
  const std::vector<float> y = shape.classification ? target : ranks(target);
  const double baseline = rule_error(x, y, shape, std::string::npos);
  json out{{"features", x.cols}, {"rows", x.rows}, {"measure", shape.classification ? "error" : "rank_rmse"},
           {"baseline", baseline}, {"flagged", json::array()}};
  if (!shape.classification && baseline == 0) {
    out["skipped"] = "the target does not vary: no feature can predict it better than its mean";
    return out;
  }
  if (x.rows < kMinRows || (shape.classification && baseline * static_cast<double>(x.rows) < kMinBaselineErrors)) {
    out["skipped"] = fmt::format(
        "too few training rows to tell a feature that predicts the target almost exactly ({} rows{}; at least {}{})", x.rows,
        shape.classification ? fmt::format(", {:.0f} errors without features", baseline * static_cast<double>(x.rows)) : "",
        kMinRows, shape.classification ? fmt::format(" and {:.0f} errors", kMinBaselineErrors) : "");
    return out;
  }
  const double most = shape.classification ? std::min(kClassShare * baseline, kClassError) : kValueShare * baseline;
  // Per source column, its best feature (a one-hot column's levels are features of their own).
  std::map<std::string, json> by_column;
  for (size_t c = 0; c < x.cols; ++c) {
    const double e = rule_error(x, y, shape, c);
    if (e > most) continue;
    const std::string& column = columns.at(c);
    auto it = by_column.find(column);
    if (it == by_column.end() || e < it->second["error"].get<double>()) {
      by_column[column] = {{"column", column}, {"feature", features.at(c)}, {"error", e}};
      // A value's: the share of its ranks' variance the rule explains on the held-out rows.
      if (!shape.classification) by_column[column]["explained"] = 1 - (e / baseline) * (e / baseline);
    }
  }
  std::vector<json> flagged;
  for (auto& [column, j] : by_column) flagged.push_back(std::move(j));
  std::stable_sort(flagged.begin(), flagged.end(),
                   [](const json& a, const json& b) { return a["error"].get<double>() < b["error"].get<double>(); });
  out["flagged"] = flagged;
  return out;
}

}  // namespace mlloop
