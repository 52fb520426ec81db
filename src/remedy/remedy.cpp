// The list of remedies, and what they share.
#include <charconv>
#include <cmath>

#include "mlloop/core/error.hpp"
#include "remedies.hpp"

namespace mlloop {

bool LoopView::classification() const { return config->task != Task::regression; }

std::optional<double> LoopView::error(const std::string& split) const {
  const auto& e = diagnosis.at("errors");
  if (!e.contains(split) || e.at(split).is_null()) return std::nullopt;
  return e.at(split).at("value").get<double>();
}

std::optional<double> LoopView::gap(const std::string& name) const {
  const auto& g = diagnosis.at("gaps");
  if (!g.contains(name) || g.at(name).is_null()) return std::nullopt;
  return g.at(name).get<double>();
}

std::string LoopView::fmt_err(double v) const {
  return config->metric == "error" ? fmt::format("{:.1f}%", 100 * v) : fmt::format("{:.4g}", v);
}

const std::vector<Remedy>& all_remedies() {
  static const std::vector<Remedy> list = {
      remedy::tune_optimizer(),       remedy::initialization(),       remedy::more_expressive_model(),
      remedy::switch_model_class(),   remedy::clean_labels(),         remedy::regularize(),
      remedy::augment(),              remedy::tune_hyperparameters(), remedy::reweight_for_shift(),
      remedy::drop_drifting_features(), remedy::more_data(),          remedy::relabel(),
      remedy::fresh_dev_set()};
  return list;
}

const Remedy* find_remedy(const std::string& name) {
  for (const auto& r : all_remedies())
    if (r.name == name) return &r;
  return nullptr;
}

bool is_remedy_name(const std::string& name) { return find_remedy(name) != nullptr || name == "memorization_check"; }

void train_all(const std::vector<Candidate>& candidates, CandidateTrainer& trainer) {
  for (const auto& c : candidates) {
    if (trainer.out_of_time()) return;
    trainer.train(c);
  }
}

namespace remedy {

std::string num(double v) { return fmt::format("{:.4g}", v); }

std::string lasso_label(const LoopView& v, double c) {
  return fmt::format("L1 penalty{}, C {}", v.classification() ? "" : " (lasso)", num(c));
}

double as_shown(double x) {
  const std::string s = num(x);
  double out = x;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

Candidate variant(const LoopView& v, const Params& changes, const std::string& label) {
  const Family& fam = v.registry->get(v.incumbent.model);
  Params p = v.incumbent.params;
  for (const auto& [k, val] : changes.items()) {
    const ParamSpec* spec = nullptr;
    for (const auto& s : fam.params)
      if (s.name == k) spec = &s;
    MLLOOP_ASSERT(spec != nullptr);
    // A real value is kept to the 4 significant digits its label shows (num): the model
    // trains on what the log says, and 0.8 x 0.7 is stored as 0.56, not 0.5599999999999999.
    if (spec->kind == ParamSpec::Kind::real) p[k] = std::clamp(as_shown(val.get<double>()), spec->low, spec->high);
    else if (spec->kind == ParamSpec::Kind::integer)
      p[k] = std::clamp<int64_t>(val.get<int64_t>(), static_cast<int64_t>(spec->low), static_cast<int64_t>(spec->high));
    else p[k] = val;
  }
  return Candidate{v.incumbent.model, resolve_params(fam, p), v.incumbent_recipe, label};
}

}  // namespace remedy
}  // namespace mlloop
