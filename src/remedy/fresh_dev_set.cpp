// fresh_dev_set: a recommendation. A dev set that has judged many decisions, or a test set
// looked at more than once, is no longer an unbiased judge.
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
    return fmt::format("dev has judged {} iterations and the test set was looked at {} times: their errors are now "
                       "optimistic; stop tuning on this dev set and collect a fresh one",
                       v.finished_iterations, v.test_looks);
  };
  return r;
}

}  // namespace mlloop::remedy
