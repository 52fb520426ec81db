#include "fitting.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/split/splitter.hpp"

namespace mlloop::analyze {

Matrix take_rows(const Matrix& x, const std::vector<size_t>& rows) {
  Matrix m;
  m.rows = rows.size();
  m.cols = x.cols;
  m.categorical = x.categorical;
  m.data.resize(m.rows * m.cols);
  for (size_t i = 0; i < rows.size(); ++i) std::copy_n(x.row(rows[i]), x.cols, m.data.data() + i * x.cols);
  return m;
}

std::vector<float> take(const std::vector<float>& y, const std::vector<size_t>& rows) {
  std::vector<float> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out[i] = y[rows[i]];
  return out;
}

int64_t bins_for_features(size_t cols) {
  constexpr size_t kBinBudget = size_t{1} << 17;
  return static_cast<int64_t>(std::clamp<size_t>(kBinBudget / std::max<size_t>(cols, 1), 32, 256));
}

Params with_analysis_params(const Family& family, Params params, size_t rows, size_t cols) {
  if (family.name != "gbdt") return params;
  if (!params.contains("max_bin"))
    params["max_bin"] = std::min(static_cast<int64_t>(std::clamp<size_t>(rows / 4, 32, 256)), bins_for_features(cols));
  for (const char* k : {"subsample", "colsample_bytree"})
    if (!params.contains(k)) params[k] = 1.0;
  return params;
}

std::unique_ptr<Model> quick_fit(const Family& family, const Params& params, const TaskShape& shape, const Matrix& x,
                                 const std::vector<float>& y, Context& ctx) {
  auto model = family.create(resolve_params(family, with_analysis_params(family, params, x.rows, x.cols)), shape);
  std::vector<size_t> order(x.rows);
  std::iota(order.begin(), order.end(), size_t{0});
  seeded_shuffle(order, ctx.seed + 17);
  bool es = family.name == "gbdt" && x.rows >= 50;
  size_t n_es = es ? x.rows / 10 : 0;
  std::vector<size_t> fit(order.begin() + static_cast<std::ptrdiff_t>(n_es), order.end());
  std::vector<size_t> slice(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_es));
  Matrix xf = take_rows(x, fit), xs = take_rows(x, slice);
  std::vector<float> yf = take(y, fit), ys = take(y, slice);
  FitResult r = model->fit(xf, yf, {}, es ? &xs : nullptr, es ? &ys : nullptr, ctx, Deadline{ctx.deadline});
  if (r.status == "stopped" && ctx.deadline_passed()) throw BudgetExhausted();
  if (r.status != "done") throw std::runtime_error(fmt::format("{} failed during the analysis: {}", family.name, r.reason));
  return model;
}

std::vector<int> fold_of(size_t n, int folds, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  seeded_shuffle(order, seed);
  std::vector<int> f(n);
  for (size_t i = 0; i < n; ++i) f[order[i]] = static_cast<int>(i % static_cast<size_t>(folds));
  return f;
}

std::vector<int> fold_of_groups(const std::vector<uint32_t>& group, int folds, uint64_t seed) {
  const size_t groups = group.empty() ? 0 : size_t{*std::max_element(group.begin(), group.end())} + 1;
  const std::vector<int> of_group = fold_of(groups, folds, seed);
  std::vector<int> f(group.size());
  for (size_t i = 0; i < group.size(); ++i) f[i] = of_group[group[i]];
  return f;
}

}  // namespace mlloop::analyze
