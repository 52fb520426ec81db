// relabel: a recommendation listing the training rows whose labels look wrong, most
// suspicious first, for a person to review.
#include "mlloop/analyze/analyses.hpp"
#include "remedies.hpp"

namespace mlloop::remedy {

Remedy relabel() {
  Remedy r;
  r.name = "relabel";
  r.actionable = false;
  r.summary = "review the labels of the suspected rows (recommendation)";
  r.applies = [](const LoopView& v) {
    const auto& li = v.diagnosis.at("label_issues");
    return !li.is_null() && !li.at("rows").empty() && li.at("estimated_noise_rate").get<double>() > 0.02;
  };
  r.recommend = [](const LoopView& v) {
    const auto& li = v.diagnosis.at("label_issues");
    const auto& rows = li.at("rows");
    std::string first;
    for (size_t i = 0; i < rows.size() && i < 10; ++i) first += fmt::format("{}{}", i ? ", " : "", rows[i].get<int64_t>());
    const double rate = li.at("estimated_noise_rate").get<double>();
    // As diagnose's MLL-L01 says (flagged_share_against_optimal).
    const auto optimal = v.error("optimal");
    const auto against = flagged_share_against_optimal(v.config->metric, rate, optimal);
    const auto heavy = heavy_tailed_residuals_caveat(v.config->metric, rate);
    const std::string caveat =
        against  ? fmt::format("; the share is {} the optimal error ({}): many may be rows no feature decides, not wrong labels, "
                               "so check a sample first",
                               *against, v.fmt_err(*optimal))
        : heavy ? fmt::format("; {}, so check a sample first", *heavy)
                 : "";
    return fmt::format("about {:.1f}% of the training labels look wrong: review the {} suspected rows, most suspicious first: {}{} "
                       "(mlloop inspect labels lists them all){}",
                       100 * rate, rows.size(), first, rows.size() > 10 ? ", ..." : "", caveat);
  };
  return r;
}

}  // namespace mlloop::remedy
