// Internal helpers shared by the analyses: row subsets and quick seeded fits.
#pragma once
#include <memory>
#include <vector>

#include "mlloop/model/model.hpp"

namespace mlloop::analyze {

Matrix take_rows(const Matrix& x, const std::vector<size_t>& rows);
std::vector<float> take(const std::vector<float>& y, const std::vector<size_t>& rows);
// Fits `family` on (x, y); gbdt gets a seeded 10% early-stopping slice. Throws on failure.
std::unique_ptr<Model> quick_fit(const Family& family, const Params& params, const TaskShape& shape, const Matrix& x,
                                 const std::vector<float>& y, Context& ctx);
// The analyses' gbdt fits on few rows: histogram bins scaled to the rows they fit (a quarter,
// 32 to 256), unless `params` sets max_bin. With 256 bins a tree weighs every feature at 256
// split points whatever the rows; on 400 rows x 1,000 features that made each round 4-5x
// slower than 64 bins, for split points a few rows apart. 1,024 rows and more: unchanged.
// Also no more than bins_for_features(cols). And every row and column for each tree
// (subsample and colsample_bytree 1), unless `params` sets them: the analyses' estimates (the
// bound, the suspects, the shift test) were calibrated on full-sample trees, and their cached
// results stay those of the fits they describe when the model's defaults change (the gbdt
// default samples 0.8 of both since 2026-12-06).
Params with_analysis_params(const Family& family, Params params, size_t rows, size_t cols);
// On a wide table, bins such that features x bins stays near 2^17 (256 up to 512 features,
// 43 at 3,000, never under 32). XGBoost's hist method keeps a histogram of every feature's
// bins for every node of a tree: at 3,000 features and 256 bins a depth-6 tree's round took
// 0.19 s on 1,260 rows and the fit 1.2 GB, a time and memory set by the bins, not the rows.
int64_t bins_for_features(size_t cols);
// Seeded fold assignment of n rows: fold index per row.
std::vector<int> fold_of(size_t n, int folds, uint64_t seed);
// The same for rows of groups (`group`: each row's group code): every group whole in one fold,
// the groups dealt out in seeded order.
std::vector<int> fold_of_groups(const std::vector<uint32_t>& group, int folds, uint64_t seed);

}  // namespace mlloop::analyze
