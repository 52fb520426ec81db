// tune_optimizer: a learning-rate sweep, starting small, then momentum (sgd); eta for gbdt.
// Iterative learners only: an exact linear solver has no optimizer to tune.
#include <cmath>

#include "remedies.hpp"

namespace mlloop::remedy {

Remedy tune_optimizer() {
  Remedy r;
  r.name = "tune_optimizer";
  r.summary = "sweep the learning rate (eta for gbdt), smallest first, then momentum for sgd";
  r.applies = [](const LoopView& v) { return v.incumbent.model == "gbdt" || v.incumbent.model == "mlp"; };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    if (v.incumbent.model == "gbdt") {
      const double eta = v.incumbent.params.at("eta");
      const int64_t rounds = v.incumbent.params.at("rounds");
      for (double f : {1.0 / 3, 3.0}) {
        if (t.out_of_time()) return;
        double e = eta * f;
        // A smaller step needs more rounds to reach the same place; early stopping trims them.
        int64_t n = f < 1 ? std::min<int64_t>(5000, static_cast<int64_t>(std::ceil(rounds / f))) : rounds;
        t.train(variant(v, {{"eta", e}, {"rounds", n}}, fmt::format("eta {} -> {}", num(eta), num(e))));
      }
      return;
    }
    const double lr = v.incumbent.params.at("lr");
    double best_lr = lr, best = INFINITY;
    for (double f : {0.1, 1.0 / 3, 3.0}) {
      if (t.out_of_time()) return;
      double d = t.train(variant(v, {{"lr", lr * f}}, fmt::format("lr {} -> {}", num(lr), num(lr * f))));
      if (d < best) best = d, best_lr = lr * f;
    }
    if (v.incumbent.params.at("optimizer") == "sgd") {
      const double m = v.incumbent.params.at("momentum");
      for (double mm : {0.5, 0.9, 0.99}) {
        if (t.out_of_time() || std::abs(mm - m) < 1e-9) continue;
        t.train(variant(v, {{"lr", best_lr}, {"momentum", mm}}, fmt::format("lr {}, momentum {} -> {}", num(best_lr), num(m), num(mm))));
      }
    }
  };
  return r;
}

}  // namespace mlloop::remedy
