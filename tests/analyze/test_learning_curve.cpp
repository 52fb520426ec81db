// The learning curve: a fit on at most half of the data predicts the full-size dev error.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <sstream>

#include "mlloop/analyze/learning_curve.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/model/pipeline.hpp"
#include "test_support.hpp"

using namespace mlloop;
using namespace mlloop::testing;

TEST(LearningCurve, PowerLawFitRecoversItsParameters) {
  std::vector<double> n = {100, 200, 400, 800, 1600, 3200}, e;
  for (double x : n) e.push_back(2.0 * std::pow(x, -0.5) + 0.05);
  PowerLaw f = fit_power_law(n, e);
  EXPECT_NEAR(f.b, 0.5, 0.01);
  EXPECT_NEAR(f.c, 0.05, 0.002);
  EXPECT_NEAR(f.at(6400), 2.0 / 80 + 0.05, 1e-3);
}

TEST(LearningCurve, HalfTheDataPredictsTheFullSizeDevError) {
  for (const char* scenario : {"underfit", "regression_underfit"}) {
    SCOPED_TRACE(scenario);
    TempDir tmp;
    auto truth = make_scenario(scenario, tmp.path(), 4, 12000);
    Dataset ds = read_csv(tmp.str("train.csv"), {});
    std::vector<size_t> train(10000), dev(2000);
    std::iota(train.begin(), train.end(), size_t{0});
    std::iota(dev.begin(), dev.end(), size_t{10000});
    bool cls = truth["task"] != "regression";
    Pipeline p;
    Pipeline::Options trees;
    trees.standardize = false;
    p.fit(ds, train, truth["target"], cls, trees);
    Registry registry;
    register_builtins(registry);
    std::ostringstream sink;
    Context ctx(sink, sink);
    ctx.threads = 2;
    CurveInput in{p.transform(ds, train), p.transform(ds, dev), p.target(ds, train), p.target(ds, dev), p.shape(),
                  "gbdt", Params{{"rounds", 300}}, 0.5, "", 1};
    nlohmann::json half = learning_curve(in, registry, ctx);
    ASSERT_TRUE(half["extrapolated"].get<bool>()) << half.dump();
    in.max_fraction = 1.0;
    nlohmann::json full = learning_curve(in, registry, ctx);
    double actual = full["points"].back()["dev"];
    double predicted = half["predicted_dev_at_2x"];
    EXPECT_NEAR(predicted, actual, 0.15 * actual) << half.dump();
  }
}
