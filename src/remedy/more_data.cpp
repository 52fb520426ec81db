// more_data: a recommendation. For variance, it quotes the learning curve's forecast; for a
// mismatch, it asks for training data like dev, naming the drifting features.
#include "mlloop/analyze/learning_curve.hpp"
#include "remedies.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::remedy {

Remedy more_data() {
  Remedy r;
  r.name = "more_data";
  r.actionable = false;
  r.summary = "gather more training data (recommendation)";
  r.applies = [](const LoopView& v) {
    const std::string b = v.diagnosis.at("bottleneck");
    if (b == "data_mismatch") return true;
    if (b != "variance") return false;
    // A learning curve that has flattened forecasts no gain from more rows of the same kind:
    // then this is no advice to give.
    const auto& lc = v.diagnosis.at("learning_curve");
    return lc.is_null() || !lc.value("extrapolated", false) || curve_still_falls(lc);
  };
  r.recommend = [](const LoopView& v) {
    const std::string b = v.diagnosis.at("bottleneck");
    if (b == "data_mismatch") {
      std::string cols;
      if (v.relation_drift.is_object()) cols = v.relation_drift.at("drifting").dump();
      else if (!v.diagnosis.at("shift").is_null()) cols = v.diagnosis.at("shift").at("top_features").dump();
      return fmt::format("dev {} vs train-dev {}: collect training rows that look like dev (drifting features: {})",
                         v.fmt_err(*v.error("dev")), v.fmt_err(*v.error("train_dev")), cols.empty() ? "[]" : cols);
    }
    const auto& lc = v.diagnosis.at("learning_curve");
    // The curve's own figures, in the project's metric as a loss: its last point is the
    // incumbent's family trained on all of train.
    // On small data the curve is out of fold, as the dev error above it; else on the dev split.
    if (!lc.is_null() && lc.value("extrapolated", false))
      return fmt::format("the learning curve of {} predicts dev {} {} with 2x the data and {} with 10x (now {} {})",
                         lc.value("model", std::string("the incumbent")), lc.at("loss").get<std::string>(),
                         fmt_value(lc.at("predicted_dev_at_2x").get<double>()), fmt_value(lc.at("predicted_dev_at_10x").get<double>()),
                         fmt_value(lc.at("points").back().at("dev").get<double>()),
                         lc.value("estimated_by", std::string()) == "cv" ? "out of fold" : "on the dev split");
    return fmt::format("train-dev {} vs train {}: a variance gap of {}; more rows narrow it (mlloop diagnose shows the learning curve)",
                       v.fmt_err(*v.error("train_dev")), v.fmt_err(*v.error("train")), v.fmt_err(v.gap("variance").value_or(0)));
  };
  return r;
}

}  // namespace mlloop::remedy
