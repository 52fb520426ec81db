// augment: Gaussian-noise copies of the training rows for the families that read
// standardized features (mlp, knn, linear), and SMOTE-style oversampling of minority
// classes (interpolated for standardized features, duplicated rows for trees), for the metrics
// that weigh the minority class (f1, auc). Under error or log loss it works against the
// metric: dev has train's class shares, and a model fitted to other shares moves its decisions
// (and probabilities) away from the ones those metrics reward. On the loop benchmark's
// imbalanced datasets with error it never helped, and it cost 2 to 7 points of dev error.
#include "remedies.hpp"

namespace mlloop::remedy {

namespace {
bool standardized(const LoopView& v) { return v.registry->get(v.incumbent.model).standardize; }
bool imbalanced(const LoopView& v) {
  return v.classification() && v.minority_share < 0.5 && (v.config->metric == "f1" || v.config->metric == "auc");
}
}  // namespace

Remedy augment() {
  Remedy r;
  r.name = "augment";
  r.summary = "augment the training rows: Gaussian-noise copies (mlp, knn), oversampling of minority classes (under f1 or auc)";
  r.applies = [](const LoopView& v) {
    return v.incumbent.model != "baseline" &&
           ((standardized(v) && v.incumbent.model != "linear") || (imbalanced(v) && !v.incumbent_recipe.oversample));
  };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    std::vector<Candidate> c;
    if (standardized(v) && v.incumbent.model != "linear") {
      // An incumbent that already trains on noisy copies gets two neighbours of its setting,
      // not its own setting again: half the noise, and twice the copies (up to 4 copies, each
      // a full copy of the training rows; then twice the noise instead).
      const double sigma0 = v.incumbent_recipe.noise;
      const int copies0 = v.incumbent_recipe.noise_copies;
      std::vector<std::pair<double, int>> settings = {{0.1, 1}, {0.3, 1}};
      if (copies0 > 0)
        settings = {{sigma0 / 2, copies0}, copies0 < 4 ? std::pair<double, int>{sigma0, 2 * copies0} : std::pair<double, int>{2 * sigma0, copies0}};
      for (auto [sigma, copies] : settings) {
        Candidate k{v.incumbent.model, v.incumbent.params, v.incumbent_recipe,
                    fmt::format("{} noisy cop{} per row, noise std {}", copies, copies == 1 ? "y" : "ies", num(sigma))};
        k.recipe.noise = sigma;
        k.recipe.noise_copies = copies;
        c.push_back(std::move(k));
      }
    }
    if (imbalanced(v) && !v.incumbent_recipe.oversample) {
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
