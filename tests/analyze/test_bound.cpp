// The optimal-error bound against the scenarios' known Bayes errors.
#include <gtest/gtest.h>

#include <numeric>
#include <sstream>

#include "mlloop/analyze/bound.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/model/pipeline.hpp"
#include "test_support.hpp"

using namespace mlloop;
using namespace mlloop::testing;

namespace {
OptimalBound estimate(const std::string& scenario, int rows, nlohmann::json& truth) {
  TempDir tmp;
  truth = make_scenario(scenario, tmp.path(), 7, rows);
  Dataset ds = read_csv(tmp.str("train.csv"), {});
  std::vector<size_t> all(ds.rows());
  std::iota(all.begin(), all.end(), size_t{0});
  Pipeline p;
  bool cls = truth["task"] != "regression";
  p.fit(ds, all, truth["target"], cls, {});
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  return estimate_optimal_error(p.transform(ds, all), p.target(ds, all), p.shape(), registry, ctx);
}
}  // namespace

TEST(Bound, CoverHartInversion) {
  EXPECT_DOUBLE_EQ(cover_hart_lower_bound(0.0, 2), 0.0);
  // Two classes: R* = (1 - sqrt(1 - 2 R_nn)) / 2; R_nn = 0.095 gives R* = 0.05.
  EXPECT_NEAR(cover_hart_lower_bound(0.095, 2), 0.05, 1e-12);
  EXPECT_NEAR(cover_hart_lower_bound(0.5, 2), 0.5, 1e-12);
  EXPECT_LT(cover_hart_lower_bound(0.3, 5), 0.3);
}

TEST(Bound, ClassificationScenariosWithin3Points) {
  for (const char* s : {"underfit", "at_optimum", "multiclass_blobs"}) {
    nlohmann::json truth;
    OptimalBound b = estimate(s, 5000, truth);
    double bayes = truth["bayes_error"];
    SCOPED_TRACE(std::string(s) + ": " + b.evidence.dump());
    EXPECT_NEAR(b.value, bayes, 0.03);
    EXPECT_LE(b.low, b.value);
    EXPECT_LE(b.value, b.high);
  }
}

TEST(Bound, RegressionWithin15Percent) {
  nlohmann::json truth;
  OptimalBound b = estimate("regression_underfit", 5000, truth);
  SCOPED_TRACE(b.evidence.dump());
  double rmse = truth["bayes_rmse"];
  EXPECT_NEAR(b.value, rmse, 0.15 * rmse);
}

// Above 25,000 rows the held-out losses use the first folds until 20,000 held-out rows, and
// the neighbour error 20,000 seeded queries (3 folds fitted instead of 5 here, 20,000
// queries instead of 40,000): the estimate must stay as good. A query that found itself (leave-one-out broken by the
// reordering) would make the 1-NN error and the lower end 0; a loss averaged over all rows
// instead of the held-out ones would put the upper end far below the Bayes error.
TEST(Bound, LargeTablesMeasureOnASampleAndStayAccurate) {
  nlohmann::json truth;
  OptimalBound b = estimate("at_optimum", 40000, truth);
  SCOPED_TRACE(b.evidence.dump());
  const double bayes = truth["bayes_error"];
  EXPECT_EQ(b.evidence["neighbour_queries"], 20000);
  // 40,000 rows: folds of 8,000, so 3 of the 5 folds are fitted and measured.
  EXPECT_GE(b.evidence["held_out_rows"].get<int64_t>(), 20000);
  EXPECT_LE(b.evidence["held_out_rows"].get<int64_t>(), 28000);
  EXPECT_NEAR(b.value, bayes, 0.03);
  EXPECT_GT(b.low, 0.5 * bayes);
  EXPECT_GT(b.high, bayes - 0.01);
  EXPECT_LE(b.low, b.value);
  EXPECT_LE(b.value, b.high);

  OptimalBound r = estimate("regression_underfit", 30000, truth);
  SCOPED_TRACE(r.evidence.dump());
  const double rmse = truth["bayes_rmse"];
  EXPECT_NEAR(r.value, rmse, 0.15 * rmse);
  EXPECT_GT(r.high, 0.9 * rmse);
}
