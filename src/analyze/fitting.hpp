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
Params with_analysis_bins(const Family& family, Params params, size_t rows);
// Seeded fold assignment of n rows: fold index per row.
std::vector<int> fold_of(size_t n, int folds, uint64_t seed);

}  // namespace mlloop::analyze
