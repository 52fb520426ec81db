// reweight_for_shift: importance weights from the adversarial classifier, so the training
// rows that look like dev count more. For the families that take sample weights.
#include <algorithm>
#include <cmath>

#include "mlloop/analyze/analyses.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/model/pipeline.hpp"
#include "mlloop/project/project_data.hpp"
#include "remedies.hpp"

namespace mlloop {

std::vector<float> shift_importance_weights(const Project& project, const ProjectData& data, const Registry& registry,
                                            Context& ctx) {
  const SplitPart& train = data.data_part(SplitName::train);
  Pipeline pipe;
  Pipeline::Options trees;
  trees.standardize = false;
  trees.group_column = project.config.split.group_column();
  pipe.fit(*train.data, train.positions, project.config.target, is_classification(project.config.task), trees);
  Matrix both = pipe.transform(*train.data, train.positions);
  const size_t n_train = both.rows;
  const Matrix dev = dev_features(pipe, data);
  const size_t n_dev = dev.rows;
  both.append_rows(dev);
  std::vector<float> domain(both.rows, 0.f);
  std::fill(domain.begin() + static_cast<std::ptrdiff_t>(n_train), domain.end(), 1.f);
  Params quick{{"max_depth", 4}, {"eta", 0.1}, {"rounds", 200}, {"early_stopping", 20}};
  std::vector<float> oof = out_of_fold_predictions(both, domain, TaskShape{true, 2}, "gbdt", quick, registry, ctx);
  std::vector<float> w(n_train);
  const double prior = static_cast<double>(n_train) / static_cast<double>(std::max<size_t>(1, n_dev));
  double sum = 0;
  for (size_t i = 0; i < n_train; ++i) {
    double p = std::clamp(static_cast<double>(oof[i * 2 + 1]), 1e-4, 1 - 1e-4);
    w[i] = static_cast<float>(std::clamp(p / (1 - p) * prior, 0.1, 10.0));
    sum += w[i];
  }
  for (float& x : w) x = static_cast<float>(x * static_cast<double>(n_train) / sum);
  return w;
}

namespace remedy {

Remedy reweight_for_shift() {
  Remedy r;
  r.name = "reweight_for_shift";
  r.summary = "weight training rows by p(dev|x) / p(train|x) from the adversarial classifier";
  r.applies = [](const LoopView& v) {
    const auto& s = v.diagnosis.at("shift");
    bool weighted_family = v.incumbent.model == "gbdt" || v.incumbent.model == "mlp" ||
                           (v.incumbent.model == "linear" && !v.classification());
    return weighted_family && !s.is_null() && s.at("low").get<double>() > 0.55 && v.incumbent_recipe.weights.empty();
  };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    Candidate c{v.incumbent.model, v.incumbent.params, v.incumbent_recipe, "importance weights from the adversarial classifier"};
    c.recipe.weights = "shift";
    train_all({c}, t);
  };
  return r;
}

}  // namespace remedy
}  // namespace mlloop
