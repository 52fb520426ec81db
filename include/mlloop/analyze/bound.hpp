// The optimal-error bound, estimated from the data when no reference error is given.
//   classification: a lower bound by inverting Cover–Hart on the leave-one-out 1-NN error,
//     measured in a feature space weighted by a quick gbdt's importances (raw 1-NN on all
//     standardized features is inflated by irrelevant ones), and an upper bound from the best
//     out-of-fold error (5-fold gbdt and linear); the estimate lies between them.
//   regression: the Gamma test (nearest-neighbour noise variance, same weighting) gives the
//     estimate and the lower end; the best out-of-fold RMSE (gbdt, ridge) the upper end.
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
  double value = 0, low = 0, high = 0;  // on the metric's scale: error rate, or RMSE
  std::string method;
  nlohmann::json evidence;  // the numbers behind it
};

// `x` are standardized features (the linear / knn pipeline), `y` class indices or values.
OptimalBound estimate_optimal_error(const Matrix& x, const std::vector<float>& y, const TaskShape& shape,
                                    const Registry& registry, Context& ctx);

// Cover–Hart, inverted: the smallest Bayes error consistent with an asymptotic 1-NN error
// `nn_error` among `classes` classes.
double cover_hart_lower_bound(double nn_error, size_t classes);

}  // namespace mlloop
