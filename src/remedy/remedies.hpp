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
// v as num shows it (4 significant digits), back as a number: what a candidate stores.
double as_shown(double v);

// The lasso's ladder, where a linear model is tried with the L1 penalty (regularize, from
// L2; switch_model_class, back to linear against variance). C weighs the summed loss (the
// log loss, or the standardized target's sum of squares) against |w|_1: on 150 to 400 rows
// of 60 standard features of which 5 matter, the useful C is 0.1 to 1 for both tasks. An L2
// strength says nothing of the L1 one, so the ladder starts there whatever the incumbent's C.
inline constexpr double kLassoC[] = {1.0, 0.1};
// A gbdt's native categories (partition splits over any grouping of a category's levels) are
// tried where train has a category of at least this many levels: XGBoost splits one of at most
// 4 levels one level against the rest (max_cat_to_onehot), not far from what code ranges do.
inline constexpr size_t kNativeCategoryLevels = 5;
inline bool native_categories_apply(const LoopView& v) {
  return v.incumbent.model == "gbdt" && v.category_levels >= kNativeCategoryLevels &&
         v.incumbent.params.value("categories", std::string("codes")) != "native";
}
// Where a category has more levels than this (more than the pipeline one-hot's whole), a
// switch to gbdt fits it both ways: code ranges isolate a level of so many in several splits
// at best, and the search that would try native splits may never be selected.
inline constexpr size_t kManyCategoryLevels = 16;
inline constexpr double kNativeMinChildWeight = 5.0;  // the switch's native gbdt (switch_model_class.cpp)
// "L1 penalty, C 0.1" ("L1 penalty (lasso), C 0.1" for regression).
std::string lasso_label(const LoopView& v, double c);

}  // namespace mlloop::remedy
