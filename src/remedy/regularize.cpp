// regularize: constrain the incumbent. gbdt: min_child_weight, row and column subsampling,
// shallower trees, L2 on leaves. mlp: dropout, weight decay, a narrower net. linear: a
// stronger penalty, and from L2 the L1 penalty (the lasso: with many features of which few
// matter, it sets the others' weights to exactly 0, which no strength of L2 does). knn: more
// neighbours. Early stopping is on by default (a slice of train); on a gbdt or mlp incumbent
// that has it off (a user's `--param early_stopping=0`, or `patience=0`), turning it back on
// is the first candidate.
#include <algorithm>
#include <array>

#include "mlloop/model/trainer.hpp"
#include "remedies.hpp"

namespace mlloop::remedy {

Remedy regularize() {
  Remedy r;
  r.name = "regularize";
  r.summary = "add regularization: tree constraints and subsampling, dropout and weight decay, stronger L2 or L1, more neighbours";
  r.applies = [](const LoopView& v) { return v.incumbent.model != "baseline"; };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    const Params& p = v.incumbent.params;
    std::vector<Candidate> c;
    const std::string& m = v.incumbent.model;
    const Family& fam = v.registry->get(m);
    if (const ParamSpec* es = early_stopping_param(fam); es && !uses_early_stopping(fam, p)) {
      const int64_t on = es->default_value.get<int64_t>();
      c.push_back(variant(v, {{es->name, on}}, fmt::format("{} 0 -> {} (a slice of train)", es->name, on)));
    }
    if (m == "gbdt") {
      // Each candidate constrains the incumbent further on the axes it changes and loosens
      // none: on an incumbent the remedy regularized already, it goes on from where it stands
      // instead of proposing the incumbent again (or a looser subsample).
      double mcw = p.at("min_child_weight");
      c.push_back(variant(v, {{"min_child_weight", std::max(5.0, mcw * 5)}}, fmt::format("min_child_weight {} -> {}", num(mcw), num(std::max(5.0, mcw * 5)))));
      const double sub = p.at("subsample"), col = p.at("colsample_bytree");
      // 0.7 of the incumbent's, at most 0.7, at least 0.3, and never above the incumbent's own.
      auto shrink = [](double f) { return std::min(f, std::max(0.3, std::min(0.7, f * 0.7))); };
      const double sub2 = shrink(sub), col2 = shrink(col);
      if (sub2 < sub || col2 < col)
        c.push_back(variant(v, {{"subsample", sub2}, {"colsample_bytree", col2}}, fmt::format("subsample {}, colsample_bytree {}", num(sub2), num(col2))));
      int64_t d = p.at("max_depth");
      if (d > 2) c.push_back(variant(v, {{"max_depth", std::max<int64_t>(2, d / 2)}}, fmt::format("max_depth {} -> {}", d, std::max<int64_t>(2, d / 2))));
      const double l = p.at("lambda"), mcw3 = std::max(3.0, mcw), sub8 = std::min(0.8, sub);
      c.push_back(variant(v, {{"lambda", std::max(10.0, l * 10)}, {"min_child_weight", mcw3}, {"subsample", sub8}},
                          fmt::format("lambda {} -> {}, min_child_weight {}{}", num(l), num(std::max(10.0, l * 10)), num(mcw3),
                                      sub8 < sub ? fmt::format(", subsample {}", num(sub8)) : "")));
    } else if (m == "mlp") {
      double dr = p.at("dropout"), wd = p.at("weight_decay");
      int64_t w = p.at("width");
      c.push_back(variant(v, {{"dropout", std::min(0.6, dr + 0.2)}}, fmt::format("dropout {} -> {}", num(dr), num(std::min(0.6, dr + 0.2)))));
      // Weight decay within the incumbent's optimizer. sgd and adam take it as an L2 penalty in
      // the gradient, which dominates once the training loss is near 0. adamw's is decoupled,
      // lr x weight_decay per step: at lr 1e-3 over a few hundred early-stopped steps, 1e-3
      // left every out-of-fold prediction on digits as it was and 0.1 every dev one, so its
      // ladder starts at 1.
      const bool decoupled = p.at("optimizer") == "adamw";
      const double wd2 = decoupled ? std::max(1.0, wd * 10) : (wd > 0 ? wd * 10 : 1e-3);
      c.push_back(variant(v, {{"weight_decay", wd2}}, fmt::format("weight_decay {} -> {}{}", num(wd), num(wd2), decoupled ? " (decoupled)" : " (L2)")));
      if (w > 8) c.push_back(variant(v, {{"width", w / 2}}, fmt::format("width {} -> {}", w, w / 2)));
    } else if (m == "linear") {
      double C = p.at("C");
      // L2 shrinks smoothly: a tenth and a hundredth of C. The lasso's path is steep: a tenth
      // of its C often sets every weight to 0 (on 300 rows of 1,000 features of which 3
      // matter, L1 at C 0.1 errs on 11% out of fold, and C 0.01 predicts one class for every
      // row), so an L1 incumbent steps by 0.3x first.
      const bool l1 = p.value("penalty", "l2") == "l1";
      const std::array<double, 2> steps = l1 ? std::array<double, 2>{0.3, 0.1} : std::array<double, 2>{0.1, 0.01};
      for (double f : steps)
        c.push_back(variant(v, {{"C", C * f}}, fmt::format("C {} -> {}", num(C), num(C * f))));
      if (!l1)
        for (double l1_c : kLassoC) c.push_back(variant(v, {{"penalty", "l1"}, {"C", l1_c}}, lasso_label(v, l1_c)));
    } else if (m == "knn") {
      int64_t k = p.at("k");
      for (int64_t f : {2, 4}) c.push_back(variant(v, {{"k", k * f}}, fmt::format("k {} -> {}", k, k * f)));
    }
    train_all(c, t);
  };
  return r;
}

}  // namespace mlloop::remedy
