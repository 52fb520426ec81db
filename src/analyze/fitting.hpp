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
// Seeded fold assignment of n rows: fold index per row.
std::vector<int> fold_of(size_t n, int folds, uint64_t seed);

}  // namespace mlloop::analyze
