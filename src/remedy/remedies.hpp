// Internal: the constructor of each remedy (one file each) and helpers they share.
#pragma once
#include <fmt/format.h>

#include "mlloop/loop/remedy.hpp"

namespace mlloop::remedy {

Remedy tune_optimizer();
Remedy initialization();
Remedy more_expressive_model();
Remedy switch_model_class();
Remedy clean_labels();
Remedy regularize();
Remedy augment();
Remedy tune_hyperparameters();
Remedy reweight_for_shift();
Remedy drop_drifting_features();
Remedy more_data();
Remedy relabel();
Remedy fresh_dev_set();

// A candidate from the incumbent with some params changed (clamped to the declared bounds).
Candidate variant(const LoopView& v, const Params& changes, const std::string& label);
// A number for a label: 0.1, 0.003, 64.
std::string num(double v);

// The lasso's ladder, where a linear model is tried with the L1 penalty (regularize, from
// L2; switch_model_class, back to linear against variance). C weighs the summed loss (the
// log loss, or the standardized target's sum of squares) against |w|_1: on 150 to 400 rows
// of 60 standard features of which 5 matter, the useful C is 0.1 to 1 for both tasks. An L2
// strength says nothing of the L1 one, so the ladder starts there whatever the incumbent's C.
inline constexpr double kLassoC[] = {1.0, 0.1};
// "L1 penalty, C 0.1" ("L1 penalty (lasso), C 0.1" for regression).
std::string lasso_label(const LoopView& v, double c);

}  // namespace mlloop::remedy
