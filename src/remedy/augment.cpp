// augment: Gaussian-noise copies of the training rows for the families that read
// standardized features (mlp, knn, linear), and SMOTE-style oversampling of minority
// classes (interpolated for standardized features, duplicated rows for trees).
#include "remedies.hpp"

namespace mlloop::remedy {

namespace {
bool standardized(const LoopView& v) { return v.registry->get(v.incumbent.model).standardize; }
bool imbalanced(const LoopView& v) { return v.classification() && v.minority_share < 0.5; }
}  // namespace

Remedy augment() {
  Remedy r;
  r.name = "augment";
  r.summary = "augment the training rows: Gaussian-noise copies (mlp, knn, linear), oversampling of minority classes";
  r.applies = [](const LoopView& v) {
    return v.incumbent.model != "baseline" && ((standardized(v) && v.incumbent.model != "linear") || imbalanced(v));
  };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    std::vector<Candidate> c;
    if (standardized(v) && v.incumbent.model != "linear") {
      for (double sigma : {0.1, 0.3}) {
        Candidate k{v.incumbent.model, v.incumbent.params, v.incumbent_recipe, fmt::format("1 noisy copy per row, noise std {}", num(sigma))};
        k.recipe.noise = sigma;
        k.recipe.noise_copies = 1;
        c.push_back(std::move(k));
      }
    }
    if (imbalanced(v)) {
      Candidate k{v.incumbent.model, v.incumbent.params, v.incumbent_recipe,
                  standardized(v) ? "SMOTE-style oversampling of minority classes" : "oversample minority classes"};
      k.recipe.oversample = true;
      c.push_back(std::move(k));
    }
    train_all(c, t);
  };
  return r;
}

}  // namespace mlloop::remedy
