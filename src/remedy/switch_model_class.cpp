// switch_model_class: the next rungs of the ladder linear -> gbdt -> mlp, and knn, with
// their default params (and the incumbent's data recipe). From linear (or a baseline, which
// means the linear model did no better than a constant) every flexible class gets its chance
// at once, knn last: it costs little, and where the classes are mixtures of blobs it beats the
// others (the linear run of the setup is reused, not trained again). Against variance, a
// flexible incumbent (which regularize could not fix; the policy tries this before its
// tuning) also gets the simpler class, first: a linear model cannot memorize what the trees
// or the net did, and on few rows with many features it is often the better fit. Where a
// category has more than 16 levels, the gbdt comes twice: with codes, and with native
// category splits, each side of which must weigh 5 (a partition split picks the best of many
// groupings of the levels, and on a category of noise the default 1 fits it: 5-fold CV, 1,500
// levels of 3-4 rows, RMSE 0.517 with codes, 0.633 native, 0.515 native at 5). For a
// regression target the mlp comes twice too: with its default dropout, and without any.
// Dropout on a squared loss trains the net under noise its predictions then lack (at dev time
// every unit is on), and a smooth target pays for it: y = sin(2 x0) x1 + x2^2 + noise 0.3 (the
// regression_underfit scenario), dev RMSE 0.36-0.46 at dropout 0.2 against 0.32-0.39 without,
// on 6 of 6 splits; on real tables (boston, diabetes, diamonds, penguins' body mass) it goes
// either way, so the measure step decides.
#include <algorithm>

#include "remedies.hpp"

namespace mlloop::remedy {

namespace {
// knn's cost is in its predictions, the training rows' included: rows^2 distances. Above this
// many training rows (50,000^2 x 20 features: some seconds on 2 cores; 700,000 rows would take
// many minutes) the switch leaves it out.
constexpr int64_t kKnnMaxRows = 50000;

std::vector<std::string> next_families(const std::string& now, bool variance, bool knn) {
  std::vector<std::string> out;
  if (now == "baseline") out = {"linear", "gbdt", "mlp", "knn"};
  else if (now == "linear") out = {"gbdt", "mlp", "knn"};
  else {
    if (variance) out.push_back("linear");
    if (now == "gbdt") out.insert(out.end(), {"mlp", "knn"});
    else if (now == "mlp") out.insert(out.end(), {"gbdt", "knn"});
    else out.insert(out.end(), {"gbdt", "mlp"});  // knn
  }
  if (!knn) out.erase(std::remove(out.begin(), out.end(), "knn"), out.end());
  return out;
}
}  // namespace

Remedy switch_model_class() {
  Remedy r;
  r.name = "switch_model_class";
  r.summary = "switch to the next model class: linear -> gbdt -> mlp, and knn (against variance, back to linear too)";
  r.applies = [](const LoopView&) { return true; };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    std::vector<Candidate> c;
    const bool variance = v.diagnosis.is_object() && v.diagnosis.value("bottleneck", std::string()) == "variance";
    for (const auto& f : next_families(v.incumbent.model, variance, v.train_rows <= kKnnMaxRows)) {
      const Family& fam = v.registry->get(f);
      c.push_back(Candidate{f, resolve_params(fam, Params::object()), v.incumbent_recipe, fmt::format("{} -> {}", v.incumbent.model, f)});
      if (f == "gbdt" && v.category_levels > kManyCategoryLevels)
        c.push_back(Candidate{f, resolve_params(fam, Params{{"categories", "native"}, {"min_child_weight", kNativeMinChildWeight}}),
                              v.incumbent_recipe, fmt::format("{} -> gbdt, native categories, min_child_weight {}", v.incumbent.model, num(kNativeMinChildWeight))});
      if (f == "mlp" && !v.classification() && resolve_params(fam, Params::object()).at("dropout").get<double>() > 0)
        c.push_back(Candidate{f, resolve_params(fam, Params{{"dropout", 0.0}}), v.incumbent_recipe,
                              fmt::format("{} -> mlp, dropout 0", v.incumbent.model)});
      // Back to linear against variance: also the lasso's ladder.
      if (f == "linear" && v.incumbent.model != "baseline")
        for (double l1_c : kLassoC)
          c.push_back(Candidate{f, resolve_params(fam, Params{{"penalty", "l1"}, {"C", l1_c}}), v.incumbent_recipe,
                                fmt::format("{} -> linear, {}", v.incumbent.model, lasso_label(v, l1_c))});
    }
    train_all(c, t);
  };
  return r;
}

}  // namespace mlloop::remedy
