// The policy: for the diagnosed bottleneck and the findings, the applicable remedies in
// order, simplest and cheapest first, each with a reason that quotes the evidence.
#pragma once
#include <string>
#include <vector>

#include "mlloop/loop/remedy.hpp"

namespace mlloop {

struct RemedyChoice {
  std::string remedy;
  std::string reason;
  bool actionable = true;
};

// Whether mlloop.toml's [loop] allow / deny let the loop use `name` (an empty allow list
// allows all): a remedy, or `memorization_check`.
bool permitted(const ProjectConfig& config, const std::string& name);

// Whether the analysis suspects more than 2% of the training labels (or targets): then
// label problems count at any stage, and clean_labels is worth a recommendation at the end.
bool label_problems(const LoopView& view);

// The ranked remedies for the view's diagnosis, those `permitted` only.
std::vector<RemedyChoice> rank_remedies(const LoopView& view);

}  // namespace mlloop
