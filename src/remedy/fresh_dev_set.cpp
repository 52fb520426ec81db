// fresh_dev_set: a recommendation. A dev set that has judged many decisions, or a test set
// looked at more than once, is no longer an unbiased judge.
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "remedies.hpp"

namespace mlloop::remedy {

Remedy fresh_dev_set() {
  Remedy r;
  r.name = "fresh_dev_set";
  r.actionable = false;
  r.summary = "collect a fresh dev set (recommendation)";
  r.applies = [](const LoopView& v) {
    return v.diagnosis.at("bottleneck") == "dev_overfit" || v.test_looks >= 2 || v.finished_iterations >= 20;
  };
  r.recommend = [](const LoopView& v) {
    // What made the dev set (or the test set) a biased judge, and what to collect, as far as
    // each applies.
    std::vector<std::string> dev_why, said;
    if (v.diagnosis.at("bottleneck") == "dev_overfit") dev_why.push_back("the loop's choices have fitted the dev set");
    if (v.finished_iterations >= 20) dev_why.push_back(fmt::format("dev has judged {} iterations", v.finished_iterations));
    if (!dev_why.empty())
      said.push_back(fmt::format("{}: its errors are now optimistic; stop tuning on this dev set and collect a fresh one",
                                 fmt::join(dev_why, " and ")));
    if (v.test_looks >= 2)
      said.push_back(fmt::format("the test set was looked at {} times: its error is now optimistic (choices made after a look "
                                 "fit it too); collect a fresh test set, and a fresh dev set if the looks steered the tuning",
                                 v.test_looks));
    return fmt::format("{}", fmt::join(said, "; "));
  };
  return r;
}

}  // namespace mlloop::remedy
