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

}  // namespace mlloop::remedy
