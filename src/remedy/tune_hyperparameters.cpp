// tune_hyperparameters: random search over a declared space for the incumbent's family,
// with successive halving: every trial trains on a short budget (fewer rounds or epochs),
// the best third trains again on the full budget. The trial count comes from mlloop.toml
// ([loop] tune_trials).
#include <algorithm>
#include <cmath>
#include <random>

#include "remedies.hpp"

namespace mlloop::remedy {

namespace {
struct Dim {
  std::string name;
  double low, high;
  bool log, integer;
};

// `incumbent` centres a space where the family's good region moves with the data: linear's
// C, searched over two decades either side of the incumbent's (an L1 incumbent at C 0.1 makes
// most of [1e-3, 1e3] either all-zero weights or the unpenalized fit).
std::vector<Dim> space(const std::string& family, const Params& incumbent) {
  if (family == "gbdt")
    return {{"eta", 0.01, 0.3, true, false},         {"max_depth", 2, 10, false, true},
            {"min_child_weight", 0.5, 20, true, false}, {"subsample", 0.5, 1, false, false},
            {"colsample_bytree", 0.5, 1, false, false}, {"lambda", 0.1, 20, true, false}};
  if (family == "mlp")
    return {{"lr", 3e-4, 1e-2, true, false}, {"width", 16, 256, true, true}, {"depth", 1, 3, false, true},
            {"dropout", 0, 0.5, false, false}, {"weight_decay", 1e-6, 1e-2, true, false}};
  if (family == "linear") {
    const double c = incumbent.contains("C") ? incumbent.at("C").get<double>() : 1.0;
    return {{"C", std::max(1e-4, c / 100), std::min(1e4, c * 100), true, false}};
  }
  if (family == "knn") return {{"k", 1, 100, true, true}};
  return {};
}

// The short budget of the first rung, and the full one.
std::pair<std::string, int64_t> budget_param(const std::string& family) {
  if (family == "gbdt") return {"rounds", 60};
  if (family == "mlp") return {"epochs", 15};
  return {"", 0};
}
}  // namespace

Remedy tune_hyperparameters() {
  Remedy r;
  r.name = "tune_hyperparameters";
  r.summary = "random search with successive halving over the family's declared space, within a trial budget";
  r.applies = [](const LoopView& v) { return !space(v.incumbent.model, v.incumbent.params).empty(); };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    std::mt19937_64 rng(v.seed * 1000003ULL + static_cast<uint64_t>(v.iteration));
    std::uniform_real_distribution<double> u(0, 1);
    const auto dims = space(v.incumbent.model, v.incumbent.params);
    auto [bname, short_budget] = budget_param(v.incumbent.model);
    std::vector<std::pair<double, Candidate>> scored;
    for (int trial = 0; trial < v.tune_trials; ++trial) {
      Params changes = Params::object();
      std::string label = fmt::format("trial {}:", trial + 1);
      for (const auto& d : dims) {
        double x = d.log ? std::exp(std::log(d.low) + u(rng) * (std::log(d.high) - std::log(d.low))) : d.low + u(rng) * (d.high - d.low);
        if (d.integer) changes[d.name] = static_cast<int64_t>(std::llround(x));
        else changes[d.name] = x = as_shown(x);  // the steps below scale with the eta stored
        label += fmt::format(" {}={}", d.name, d.integer ? fmt::format("{}", std::llround(x)) : num(x));
      }
      // The MLP's activation, one of three per trial: gelu and tanh are smooth where relu is
      // piecewise linear, and on a smooth target that counts (regression_underfit, dev RMSE
      // 0.36 with relu, 0.32 with gelu, both without dropout).
      if (v.incumbent.model == "mlp") {
        static constexpr const char* kActivations[] = {"relu", "gelu", "tanh"};
        const char* a = kActivations[std::min<size_t>(2, static_cast<size_t>(u(rng) * 3))];
        changes["activation"] = a;
        label += fmt::format(" activation={}", a);
      }
      // Codes or native category splits, a coin's toss per trial; drawn only where a category
      // has levels enough to tell them apart, so other tables keep their trials.
      if (native_categories_apply(v) && u(rng) < 0.5) {
        changes["categories"] = "native";
        label += " categories=native";
      }
      // A gbdt's rounds are worth eta each (a tree adds eta times its fit): at a fixed count
      // a small eta is a model stopped early, not a worse one. Rung 1 at 60 rounds for every
      // trial dropped them all (eta 0.02 to 0.05 erred 16% where 0.1 to 0.2 erred 13-15%), so
      // the search only ever tried large steps. The rounds, rung 1's and the full budget's,
      // and the patience of early stopping scale with 0.1 / eta, the default's step.
      const double steps = v.incumbent.model == "gbdt" && changes.contains("eta") ? 0.1 / changes.at("eta").get<double>() : 1.0;
      auto scaled = [&](int64_t n) { return static_cast<int64_t>(std::llround(static_cast<double>(n) * steps)); };
      if (steps != 1.0) {
        const int64_t inc_rounds = v.incumbent.params.at("rounds").get<int64_t>();
        changes["rounds"] = std::max(inc_rounds, std::min<int64_t>(scaled(inc_rounds), 5000));
        const int64_t patience = v.incumbent.params.at("early_stopping").get<int64_t>();
        if (patience > 0) changes["early_stopping"] = std::max(patience, scaled(patience));
      }
      Candidate full = variant(v, changes, label);
      if (!bname.empty()) {
        Params shorter = changes;
        shorter[bname] = std::clamp<int64_t>(scaled(short_budget), 1, full.params.at(bname).get<int64_t>());
        Candidate c = variant(v, shorter, label + fmt::format(" ({} {}, rung 1)", bname, shorter[bname].get<int64_t>()));
        if (t.out_of_time()) return;
        scored.emplace_back(t.train(c), full);
      } else {
        if (t.out_of_time()) return;
        t.train(full);
      }
    }
    if (bname.empty()) return;
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
      return (std::isnan(a.first) ? INFINITY : a.first) < (std::isnan(b.first) ? INFINITY : b.first);
    });
    const size_t keep = std::max<size_t>(1, (scored.size() + 2) / 3);
    for (size_t i = 0; i < keep && i < scored.size(); ++i) {
      if (t.out_of_time()) return;
      if (!std::isnan(scored[i].first)) t.train(scored[i].second);
    }
  };
  return r;
}

}  // namespace mlloop::remedy
