// clean_labels: leave out the training rows that confident learning flags as mislabeled
// (all of them, and the most suspicious half). Judged on dev, whose labels never change.
#include <algorithm>

#include "remedies.hpp"

namespace mlloop::remedy {

Remedy clean_labels() {
  Remedy r;
  r.name = "clean_labels";
  r.summary = "drop the training rows flagged as mislabeled (confident learning); dev labels are never changed";
  // Not when the incumbent's recipe drops every suspect already (it is clean_labels' own
  // result): its candidates would be the incumbent again, and the iteration wasted.
  r.applies = [](const LoopView& v) {
    const auto& li = v.diagnosis.at("label_issues");
    if (li.is_null() || !li.contains("rows")) return false;
    std::vector<int64_t> dropped = v.incumbent_recipe.drop_rows;
    std::sort(dropped.begin(), dropped.end());
    for (const auto& row : li.at("rows"))
      if (!std::binary_search(dropped.begin(), dropped.end(), row.get<int64_t>())) return true;
    return false;
  };
  r.implement = [](const LoopView& v, CandidateTrainer& t) {
    std::vector<int64_t> suspects = v.diagnosis.at("label_issues").at("rows").get<std::vector<int64_t>>();
    std::vector<Candidate> c;
    for (size_t n : {suspects.size(), suspects.size() / 2}) {
      if (n == 0 || (n != suspects.size() && n + 1 >= suspects.size())) continue;
      Candidate k{v.incumbent.model, v.incumbent.params, v.incumbent_recipe, fmt::format("drop {} suspected rows", n)};
      k.recipe.drop_rows.insert(k.recipe.drop_rows.end(), suspects.begin(), suspects.begin() + static_cast<std::ptrdiff_t>(n));
      std::sort(k.recipe.drop_rows.begin(), k.recipe.drop_rows.end());
      k.recipe.drop_rows.erase(std::unique(k.recipe.drop_rows.begin(), k.recipe.drop_rows.end()), k.recipe.drop_rows.end());
      c.push_back(std::move(k));
    }
    train_all(c, t);
  };
  return r;
}

}  // namespace mlloop::remedy
