// initialization: other weight initializations for the MLP.
#include "remedies.hpp"

namespace mlloop::remedy {

Remedy initialization() {
  Remedy r;
  r.name = "initialization";
  r.summary = "try other weight initializations (xavier_uniform, kaiming_normal, orthogonal) for the MLP";
  r.applies = [](const LoopView& v) { return v.incumbent.model == "mlp"; };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    const std::string now = v.incumbent.params.at("init");
    std::vector<Candidate> c;
    for (const char* init : {"kaiming_normal", "xavier_uniform", "orthogonal"})
      if (now != init) c.push_back(variant(v, {{"init", init}}, fmt::format("init {} -> {}", now, init)));
    train_all(c, t);
  };
  return r;
}

}  // namespace mlloop::remedy
