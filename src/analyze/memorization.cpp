// The memorization check: can a high-capacity model fit a small stratified subset? And are
// there identical feature rows with different labels, which no model can fit?
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

#include "fitting.hpp"
#include "mlloop/analyze/analyses.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/hash.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop {

namespace {
constexpr size_t kSubset = 256;
constexpr double kConflictShare = 0.005;  // conflicting duplicates above 0.5% of rows fail the check

std::vector<size_t> stratified_subset(const AnalysisData& d, size_t n, uint64_t seed) {
  std::vector<size_t> order(d.x.rows);
  std::iota(order.begin(), order.end(), size_t{0});
  seeded_shuffle(order, seed);
  if (!d.shape.classification || d.x.rows <= n) {
    order.resize(std::min(n, order.size()));
    return order;
  }
  // Each class its share of the n rows (at least 1), the rows floors leave over to the classes
  // with the largest remainders: n in all (the floors alone gave 253-255 of 256), each class's
  // first rows in shuffled order.
  std::map<int, std::vector<size_t>> by_class;
  for (size_t i : order) by_class[static_cast<int>(d.y[i])].push_back(i);
  std::vector<const std::vector<size_t>*> classes;
  std::vector<size_t> take, remainder;
  for (const auto& [c, rows] : by_class) {
    const size_t share = rows.size() * n;
    classes.push_back(&rows);
    take.push_back(std::min(rows.size(), std::max<size_t>(1, share / d.x.rows)));
    remainder.push_back(share % d.x.rows);
  }
  std::vector<size_t> by_remainder(classes.size());
  std::iota(by_remainder.begin(), by_remainder.end(), size_t{0});
  std::stable_sort(by_remainder.begin(), by_remainder.end(), [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  size_t taken = std::accumulate(take.begin(), take.end(), size_t{0});
  for (size_t k : by_remainder)
    if (taken < n && take[k] < classes[k]->size()) ++take[k], ++taken;
  std::vector<size_t> out;
  for (size_t k = 0; k < classes.size(); ++k)
    out.insert(out.end(), classes[k]->begin(), classes[k]->begin() + static_cast<std::ptrdiff_t>(take[k]));
  return out;
}
}  // namespace

nlohmann::json memorization_check(const AnalysisData& d, const Registry& registry, Context& ctx) {
  // 1. Identical feature rows carrying different labels.
  std::unordered_map<uint64_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < d.raw.size(); ++i) {
    std::string key;
    for (const auto& cell : d.raw[i]) {
      key += cell;
      key += '\x1f';
    }
    groups[hash_bytes(key)].push_back(i);
  }
  std::vector<int64_t> conflicting;
  for (auto& [h, rows] : groups) {
    if (rows.size() < 2) continue;
    bool differ = false;
    for (size_t r : rows) differ |= d.y[r] != d.y[rows[0]];
    if (!differ) continue;
    for (size_t r : rows) conflicting.push_back(d.row_ids[r]);
  }
  std::sort(conflicting.begin(), conflicting.end());
  const double share = d.raw.empty() ? 0.0 : static_cast<double>(conflicting.size()) / static_cast<double>(d.raw.size());

  // 2. A deep gbdt on a small stratified subset, no regularization, no early stopping.
  std::vector<size_t> subset = stratified_subset(d, kSubset, ctx.seed + 101);
  Matrix xs = analyze::take_rows(d.x, subset);
  std::vector<float> ys = analyze::take(d.y, subset);
  const Family& gbdt = registry.get("gbdt");
  // Bins as the table's width allows (all 256 up to 512 features): a deep tree's nodes each
  // hold a histogram of every feature, 4,096 of them at depth 12.
  Params deep{{"max_depth", 12}, {"eta", 0.3}, {"rounds", 100}, {"early_stopping", 0}, {"min_child_weight", 0.0}, {"lambda", 0.0},
              {"subsample", 1.0}, {"colsample_bytree", 1.0}, {"max_bin", analyze::bins_for_features(xs.cols)}};
  auto model = gbdt.create(resolve_params(gbdt, deep), d.shape);
  FitResult fit = model->fit(xs, ys, {}, nullptr, nullptr, ctx, Deadline{ctx.deadline});
  if (fit.status == "stopped" && ctx.deadline_passed()) throw BudgetExhausted();
  std::vector<float> out = model->predict(xs);
  double train_error = 0;
  double spread = 0, mean = 0;
  for (float v : ys) mean += v;
  mean /= static_cast<double>(ys.size());
  for (size_t i = 0; i < ys.size(); ++i) {
    if (d.shape.classification) {
      const float* p = out.data() + i * d.shape.classes;
      train_error += static_cast<float>(std::max_element(p, p + d.shape.classes) - p) != ys[i];
    } else {
      train_error += (out[i] - ys[i]) * (out[i] - ys[i]);
      spread += (ys[i] - mean) * (ys[i] - mean);
    }
  }
  train_error /= static_cast<double>(ys.size());
  bool fits;
  if (d.shape.classification) {
    fits = train_error <= 0.01;
  } else {
    train_error = std::sqrt(train_error);
    fits = spread > 0 && train_error <= 0.05 * std::sqrt(spread / static_cast<double>(ys.size()));
  }
  // The loss must go down over the rounds, or the optimizer is the problem.
  bool loss_fell = fit.curve.size() >= 2 && fit.curve.back().train_loss < fit.curve.front().train_loss;
  const bool dup_fail = share > kConflictShare;
  std::string cause;
  if (dup_fail)
    cause = fmt::format("{} training rows are identical feature rows with different labels ({:.1f}% of the rows)",
                        conflicting.size(), 100 * share);
  else if (!fits && !loss_fell)
    cause = "the training loss does not go down: an optimizer problem";
  else if (!fits)
    cause = "the model is too weak for the data, or the features do not determine the target";
  nlohmann::json rows_shown(std::vector<int64_t>(conflicting.begin(), conflicting.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(conflicting.size(), 50))));
  return {{"passed", fits && !dup_fail},
          {"rows", subset.size()},
          {"train_error", train_error},
          {"model", "gbdt max_depth=12, 100 rounds, no regularization"},
          {"conflicting_duplicates", {{"count", conflicting.size()}, {"share", share}, {"rows", rows_shown}}},
          {"cause", cause.empty() ? nlohmann::json(nullptr) : nlohmann::json(cause)}};
}

}  // namespace mlloop
