// switch_model_class: the next rungs of the ladder linear -> gbdt -> mlp, and knn, with
// their default params (and the incumbent's data recipe). A baseline incumbent means the
// linear model did no better than a constant, so both flexible classes get their chance at
// once (the linear run of the setup is reused, not trained again).
#include "remedies.hpp"

namespace mlloop::remedy {

namespace {
std::vector<std::string> next_families(const std::string& now) {
  if (now == "baseline") return {"linear", "gbdt", "mlp"};
  if (now == "linear") return {"gbdt", "mlp"};
  if (now == "gbdt") return {"mlp", "knn"};
  if (now == "mlp") return {"gbdt", "knn"};
  return {"gbdt", "mlp"};  // knn
}
}  // namespace

Remedy switch_model_class() {
  Remedy r;
  r.name = "switch_model_class";
  r.summary = "switch to the next model class: linear -> gbdt -> mlp, and knn";
  r.applies = [](const LoopView&) { return true; };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    std::vector<Candidate> c;
    for (const auto& f : next_families(v.incumbent.model)) {
      const Family& fam = v.registry->get(f);
      c.push_back(Candidate{f, resolve_params(fam, Params::object()), v.incumbent_recipe, fmt::format("{} -> {}", v.incumbent.model, f)});
    }
    train_all(c, t);
  };
  return r;
}

}  // namespace mlloop::remedy
