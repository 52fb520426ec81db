// The optimal-error bound, estimated from the data when no reference error is given.
//   Both measure in a feature space weighted by a quick gbdt's importances (raw neighbours on
//   all standardized features are inflated by irrelevant ones), from the 10 nearest
//   neighbours of each row: a line through (mean squared distance to the k-th neighbour, mean
//   disagreement with it), k = 1..10, extrapolated to distance 0, and trusted for no more
//   than that stretch again (its lower value: the intercept less the line's rise up to the
//   nearest neighbours). The upper end is the best out-of-fold error (5-fold gbdt and linear).
//   classification: the lower end inverts Cover–Hart on that lower value of the asymptotic
//     1-NN error; the estimate is the midpoint of the two ends.
//   regression: the disagreement is half the squared target difference (the Gamma test); the
//     lower end is the square root of its lower value, the estimate the midpoint between that
//     and the square root of the intercept (at most the upper end).
// At most 200,000 rows (a seeded sample). On a larger table than 25,000 rows, the losses
// are measured on the first folds until their held-out rows number 20,000, and the neighbour
// error on 20,000 seeded leave-one-out queries searched among all the rows. Fits still train
// on 4/5 of the rows and neighbours come from all of them, so the estimate's expectation is
// that of the full computation; its cost drops about 5x on 170,000 rows. A regression target
// whose Gamma test fails (an intercept well below 0) gets [0, best out-of-fold RMSE] and its
// midpoint.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "mlloop/model/model.hpp"

namespace mlloop {

class Context;

struct OptimalBound {
  double value = 0, low = 0, high = 0;  // on the metric's scale: error rate, RMSE or MAE
  std::string method;
  nlohmann::json evidence;  // the numbers behind it
};

// `x` are standardized features (the linear / knn pipeline), `y` class indices or values.
// With `mae` (regression), the bound is on the mean absolute error's scale: the out-of-fold
// losses are mean absolute errors, and the Gamma test's noise standard deviation sd becomes
// [0.71 sd_low, sd_high], estimate sqrt(2/pi) (sd_low + sd_high) / 2 (the optimal MAE is
// the noise's mean distance from its median: at most sd; 0.80 sd for Gaussian noise, 0.71
// for Laplace, 0.87 for uniform).
// `groups` (a group split's group code per row, or null): the upper end's out-of-fold fits keep
// each group whole, as the split did (rows of one patient in the fit and in its held-out fold
// put the gbdt's RMSE at 0.67 where new patients' is 0.90).
OptimalBound estimate_optimal_error(const Matrix& x, const std::vector<float>& y, const TaskShape& shape,
                                    const Registry& registry, Context& ctx, bool mae = false,
                                    const std::vector<uint32_t>* groups = nullptr);

// Cover–Hart, inverted: the smallest Bayes error consistent with an asymptotic 1-NN error
// `nn_error` among `classes` classes.
double cover_hart_lower_bound(double nn_error, size_t classes);

}  // namespace mlloop
