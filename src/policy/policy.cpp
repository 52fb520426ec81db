// The policy: DESIGN.md's seed-to-remedy map, bottleneck -> remedies, simplest first, each
// with a reason that quotes the diagnosis.
#include "mlloop/loop/policy.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mlloop {

namespace {
bool exact_solver(const std::string& family) { return family == "linear" || family == "baseline"; }

std::vector<std::string> order_for(const LoopView& v, const std::string& bottleneck) {
  const std::string& m = v.incumbent.model;
  if (bottleneck == "avoidable_bias") {
    if (exact_solver(m)) return {"switch_model_class", "more_expressive_model", "clean_labels"};
    if (m == "knn") return {"more_expressive_model", "switch_model_class", "clean_labels"};
    return {"tune_optimizer", "initialization", "more_expressive_model", "switch_model_class", "clean_labels"};
  }
  // Against variance a flexible model goes back to the simpler class (a few default fits)
  // before the search over its own hyperparameters (trials times rungs); a linear model's
  // search is over C alone, as cheap as the switch, and stays before it.
  if (bottleneck == "variance") {
    if (exact_solver(m)) return {"regularize", "augment", "tune_hyperparameters", "switch_model_class", "clean_labels", "more_data"};
    return {"regularize", "augment", "switch_model_class", "tune_hyperparameters", "clean_labels", "more_data"};
  }
  if (bottleneck == "data_mismatch") return {"reweight_for_shift", "drop_drifting_features", "more_data"};
  if (bottleneck == "dev_overfit") return {"fresh_dev_set"};
  return {};
}

// The baseline is the incumbent when the linear model did no better on dev (or did not run).
std::string baseline_why(const LoopView& v) {
  const bool linear_ran = std::any_of(v.runs.begin(), v.runs.end(), [](const RunRecord& r) {
    return r.model == "linear" && (r.status == "done" || r.status == "stopped");
  });
  return linear_ran && v.project_incumbent ? "the baseline ignores the features, and the linear model did no better on dev: a linear boundary does "
                      "not fit this data; trying a more flexible class"
                    : "the baseline ignores the features; trying the model classes that use them";
}

std::string reason_for(const LoopView& v, const std::string& remedy, const std::string& bottleneck) {
  auto e = [&](const char* s) { return v.error(s) ? v.fmt_err(*v.error(s)) : std::string("n/a"); };
  const std::string& m = v.incumbent.model;
  std::string evidence;
  if (bottleneck == "avoidable_bias") {
    // The gap is train less the estimate: quoted with it, and with the bound's upper end.
    const auto& opt = v.diagnosis.at("errors").at("optimal");
    std::string bound = "n/a";
    if (!opt.is_null()) {
      bound = v.fmt_err(opt.at("value").get<double>());
      if (const std::string high = v.fmt_err(opt.at("high").get<double>()); high != bound) bound += fmt::format(" (at most {})", high);
    }
    evidence = fmt::format("train {} vs optimal {}: avoidable bias of {} dominates", e("train"), bound,
                           v.fmt_err(v.gap("avoidable_bias").value_or(0)));
  } else if (bottleneck == "variance") {
    evidence = fmt::format("train-dev {} vs train {}: a variance gap of {} dominates", e("train_dev"), e("train"),
                           v.fmt_err(v.gap("variance").value_or(0)));
  } else if (bottleneck == "data_mismatch") {
    evidence = fmt::format("dev {} vs train-dev {}: a train/dev mismatch of {} dominates", e("dev"), e("train_dev"),
                           v.fmt_err(v.gap("data_mismatch").value_or(0)));
  } else {
    evidence = fmt::format("dev {}", e("dev"));
  }
  std::string why;
  if (remedy == "switch_model_class")
    why = m == "baseline" ? baseline_why(v)
          : exact_solver(m) && bottleneck == "variance"
              ? fmt::format("{} still overfits after the remedies before this one; trying the other model classes", m)
          : exact_solver(m) ? fmt::format("a {} model cannot bend; trying a more flexible class", m)
                          : bottleneck == "variance" ? fmt::format("{} still overfits when constrained; trying a simpler class (linear) and the others", m)
                                                     : fmt::format("{} has been tuned; trying another model class", m);
  else if (remedy == "tune_optimizer")
    why = m == "gbdt" ? "the optimizer may be stuck: sweeping eta, smallest first" : "the optimizer may be stuck: sweeping the learning rate, smallest first";
  else if (remedy == "initialization") why = "a better starting point may let the MLP fit";
  else if (remedy == "more_expressive_model") why = fmt::format("more capacity within {}", m);
  else if (remedy == "regularize") why = fmt::format("constraining {} should trade training fit for generalization", m);
  else if (remedy == "augment") why = "more varied training rows should generalize better";
  else if (remedy == "tune_hyperparameters") why = fmt::format("searching {}'s hyperparameters with successive halving ({} trials)", m, v.tune_trials);
  else if (remedy == "reweight_for_shift") {
    const auto& s = v.diagnosis.at("shift");
    why = fmt::format("a classifier tells train from dev with AUC {:.2f}: weighting training rows like dev", s.at("adversarial_auc").get<double>());
  } else if (remedy == "drop_drifting_features") {
    std::string cols = v.relation_drift.is_object() ? v.relation_drift.at("drifting").dump() : v.diagnosis.at("shift").at("top_features").dump();
    why = fmt::format("features whose relation to the target changes between train and dev: {}", cols);
  } else if (remedy == "clean_labels") {
    const auto& li = v.diagnosis.at("label_issues");
    const auto& rows = li.at("rows");
    std::string first;
    for (size_t i = 0; i < rows.size() && i < 8; ++i) first += fmt::format("{}{}", i ? ", " : "", rows[i].get<int64_t>());
    const bool values = v.diagnosis.value("task", std::string()) == "regression";
    why = fmt::format("{} {} training rows ({:.1f}%) as {}, first {}: drop them, and judge on dev, whose {} stay as they are",
                      values ? "out-of-fold residuals flag" : "confident learning flags", rows.size(),
                      100 * li.at("estimated_noise_rate").get<double>(), values ? "likely corrupt targets" : "mislabeled", first,
                      values ? "targets" : "labels");
  }
  return why.empty() ? evidence : evidence + "; " + why;
}
}  // namespace

bool permitted(const ProjectConfig& c, const std::string& name) {
  return (c.allow.empty() || std::count(c.allow.begin(), c.allow.end(), name)) && !std::count(c.deny.begin(), c.deny.end(), name);
}

bool label_problems(const LoopView& v) {
  const auto& li = v.diagnosis.at("label_issues");
  return !li.is_null() && li.at("estimated_noise_rate").get<double>() > 0.02;
}

std::vector<RemedyChoice> rank_remedies(const LoopView& v) {
  const std::string bottleneck = v.diagnosis.at("bottleneck");
  std::vector<std::string> names = order_for(v, bottleneck);
  // Identical feature rows with different labels: no capacity fits them; clean them first.
  const auto& mem = v.diagnosis.at("memorization");
  if (!mem.is_null() && mem.contains("conflicting_duplicates") && mem["conflicting_duplicates"]["share"].get<double>() > 0.005 &&
      bottleneck == "avoidable_bias") {
    names.erase(std::remove(names.begin(), names.end(), "clean_labels"), names.end());
    names.insert(names.begin(), "clean_labels");
  }
  // Label problems, at any stage.
  if (label_problems(v)) {
    if (std::find(names.begin(), names.end(), "clean_labels") == names.end()) names.push_back("clean_labels");
    names.push_back("relabel");
  }
  names.push_back("fresh_dev_set");
  std::vector<RemedyChoice> out;
  for (const auto& n : names) {
    if (std::any_of(out.begin(), out.end(), [&](const RemedyChoice& c) { return c.remedy == n; })) continue;
    if (!permitted(*v.config, n)) continue;
    const Remedy* r = find_remedy(n);
    if (!r || !r->applies(v)) continue;
    out.push_back({n, r->actionable ? reason_for(v, n, bottleneck) : r->recommend(v), r->actionable});
  }
  return out;
}

}  // namespace mlloop
