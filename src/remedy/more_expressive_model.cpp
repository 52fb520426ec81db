// more_expressive_model: more capacity in the same family (deeper trees or more rounds, a
// wider or deeper MLP, fewer neighbours, weaker L2), one and two steps up; for an MLP with
// dropout, also the same net without it; for a gbdt that samples rows or columns (the default,
// 0.8 of each), also every row and column per tree; for a gbdt on a table with a category of 5
// levels or more, native category splits (any grouping of its levels in one split, where code
// ranges need several). On an incumbent the deadline stopped, the same config trained to the
// end comes first.
#include "remedies.hpp"

namespace mlloop::remedy {

namespace {
std::optional<Params> step_up(const LoopView& v, const Params& p) {
  const Family& f = v.registry->get(v.incumbent.model);
  if (f.step_up) return f.step_up(p);
  if (v.incumbent.model == "linear" && p.at("C").get<double>() < 1e5) {
    Params q = p;
    q["C"] = p.at("C").get<double>() * 10;
    return q;
  }
  if (v.incumbent.model == "knn" && p.at("k").get<int64_t>() > 1) {
    Params q = p;
    q["k"] = std::max<int64_t>(1, p.at("k").get<int64_t>() / 3);
    return q;
  }
  return std::nullopt;
}

std::string diff(const Params& a, const Params& b) {
  std::string out;
  for (const auto& [k, v] : b.items())
    if (!a.contains(k) || a.at(k) != v) out += fmt::format("{}{} {} -> {}", out.empty() ? "" : ", ", k, a.contains(k) ? a.at(k).dump() : "?", v.dump());
  return out;
}
}  // namespace

Remedy more_expressive_model() {
  Remedy r;
  r.name = "more_expressive_model";
  r.summary = "step capacity up within the family: deeper or longer boosting, a wider MLP, fewer neighbours";
  r.applies = [](const LoopView& v) {
    return v.incumbent.model != "baseline" && (v.incumbent.status == "stopped" || step_up(v, v.incumbent.params).has_value());
  };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    std::vector<Candidate> c;
    // An incumbent the deadline stopped: first the same config, trained to the end.
    if (v.incumbent.status == "stopped") c.push_back(variant(v, Params::object(), "the same, trained to the end"));
    Params p = v.incumbent.params;
    for (int s = 0; s < 2; ++s) {
      auto q = step_up(v, p);
      if (!q) break;
      c.push_back(variant(v, *q, diff(v.incumbent.params, *q)));
      p = *q;
    }
    const Params& inc = v.incumbent.params;
    if (v.incumbent.model == "gbdt" && (inc.at("subsample").get<double>() < 1 || inc.at("colsample_bytree").get<double>() < 1))
      c.push_back(variant(v, {{"subsample", 1.0}, {"colsample_bytree", 1.0}},
                          fmt::format("subsample {} -> 1, colsample_bytree {} -> 1", num(inc.at("subsample").get<double>()),
                                      num(inc.at("colsample_bytree").get<double>()))));
    // Dropout holds an MLP's units back in training; without it the same net fits more.
    if (v.incumbent.model == "mlp" && inc.at("dropout").get<double>() > 0)
      c.push_back(variant(v, {{"dropout", 0.0}}, fmt::format("dropout {} -> 0", num(inc.at("dropout").get<double>()))));
    if (native_categories_apply(v))
      c.push_back(variant(v, {{"categories", "native"}}, "categories codes -> native"));
    train_all(c, t);
  };
  return r;
}

}  // namespace mlloop::remedy
