// The learning curve: train and dev error at geometrically spaced training sizes (n/32 ... n,
// at least 50 rows), 3 seeded repeats each, and a fit err(n) = a n^-b + c of the dev curve
// that predicts the dev error at 2x and 10x the data. Curves that are not monotone or not
// convex (beyond their noise) are flagged and not extrapolated.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlloop/model/model.hpp"

namespace mlloop {

class Context;

struct CurveInput {
  Matrix train_x, dev_x;
  std::vector<float> train_y, dev_y;
  TaskShape shape;
  std::string family;
  Params params;
  double max_fraction = 1.0;  // the largest size, as a fraction of the training rows
  // The loss the points are measured in: the project's metric as a loss (1 - auc, 1 - f1);
  // empty: the error rate, or RMSE. `positive` is a binary target's positive class (auc, f1).
  std::string metric;
  int32_t positive = 1;
  // The run's own training and dev losses, when it is the family and params fitted on all of
  // train with no recipe: the last point (max_fraction 1), not fitted again. On a large table
  // that point's 3 repeats were half of the curve's cost, three fits on the same rows.
  std::optional<std::pair<double, double>> full;
  // The loss no amount of data goes below (the optimal error's lower end), or 0: see CurveMeasure.
  double floor = 0;
};

// The JSON of CONTRACT.md's learning_curve: points [{rows, train, dev}], predicted_dev_at_2x,
// predicted_dev_at_10x (null when not extrapolated), with the fit and flags; "estimated_by":
// "split" (the dev rows given). On small data the diagnosis measures it out of fold instead
// (learning_curve_cv in cv.hpp).
nlohmann::json learning_curve(const CurveInput& in, const Registry& registry, Context& ctx);

// What a learning curve measured, size by size: the training rows, the mean training loss, the
// dev loss (the mean over repeats, or on small data the pooled out-of-fold loss), and each
// repeat's (or fold's) dev loss, [repeat][size], for the points' intervals and the forecasts'
// ranges.
struct CurveMeasure {
  std::vector<double> rows, train, dev;
  std::vector<std::vector<double>> dev_by_repeat;
  // Out of fold: `dev` pools the folds, each fold's curve is measured on its own rows, and the
  // forecasts' ranges come from resamples of the folds instead of a fit to each.
  bool pooled = false;
  // The optimal error's lower end, when known: no amount of data takes the dev loss below it,
  // and the fit's asymptote c is held at or above it (at or above the lowest point measured
  // instead, when that is lower). Unheld, a curve still falling at its last points ran on past
  // the bound: a 5,000-row regression with noise of RMSE 0.3 (the bound estimated at 0.32) was
  // forecast RMSE 0.20 with 10x the rows.
  double floor = 0;
};

// The curve's JSON from its measure: the points with their intervals, the shape checks, and
// when they pass, the power-law fit and its forecasts (see learning_curve above).
nlohmann::json curve_json(const CurveMeasure& m);

// The training sizes of a curve whose largest is `top` rows: top/32, top/16, ..., top (without
// top unless `with_top`), those of 50 rows or more.
std::vector<size_t> curve_sizes(size_t top, bool with_top);

// Whether an extrapolated curve still falls: its forecast at 10x the data at least 5% below
// its last point. A flattened curve promises nothing from more rows of the same kind, and
// more_data is then no advice to give.
bool curve_still_falls(const nlohmann::json& curve);

// Fits err(n) = a n^-b + c (a >= 0, c >= floor, b in [0.05, 2]) by least squares, each point
// weighted by `weight` (empty: all alike).
struct PowerLaw {
  double a = 0, b = 0, c = 0;
  double at(double n) const { return a * std::pow(n, -b) + c; }
};
PowerLaw fit_power_law(const std::vector<double>& n, const std::vector<double>& err, const std::vector<double>& weight = {},
                       double floor = 0);
// The weights of a curve's points for the fit: the inverse of each point's variance, from the
// half-widths of its interval (the repeats' or folds' spread), a half-width under the
// smallest positive one counted as that one (a point measured once, as the full-size run in
// the split mode, has none; a half-width under 1e-9 of the largest is rounding, and counts as
// none), an unknown (non-finite) one as the largest. All alike when no point has a spread.
// Unweighted, the few-row points, whose errors move by tens of points from one sample to the
// next, set the fit: on a 4,000-row table the curve fell from 36% at 90 rows to 5.3% at 2,880,
// a fit through all six alike put its floor at 3.2% and forecast 3.8% at 2x, and 8,000 rows
// measured 5.3%.
std::vector<double> curve_weights(const std::vector<double>& half_widths);

}  // namespace mlloop
