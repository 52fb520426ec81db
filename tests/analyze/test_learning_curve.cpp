// The learning curve: a fit on at most half of the data predicts the full-size dev error.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <sstream>

#include "mlloop/analyze/learning_curve.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/model/pipeline.hpp"
#include "test_support.hpp"

using namespace mlloop;
using namespace mlloop::testing;

namespace {
// A curve measured at sizes `n` with mean dev losses `dev`, as 3 repeats spread around them:
// repeat r has dev[i] + (r - 1) spread(i).
CurveMeasure three_repeats(const std::vector<double>& n, const std::vector<double>& dev, const std::function<double(size_t)>& spread) {
  CurveMeasure m;
  m.rows = n;
  m.train = std::vector<double>(n.size(), 0.0);
  m.dev = dev;
  m.dev_by_repeat.assign(3, dev);
  for (size_t r = 0; r < 3; ++r)
    for (size_t i = 0; i < n.size(); ++i) m.dev_by_repeat[r][i] += (static_cast<double>(r) - 1.0) * spread(i);
  return m;
}
}  // namespace

TEST(LearningCurve, PowerLawFitRecoversItsParameters) {
  std::vector<double> n = {100, 200, 400, 800, 1600, 3200}, e;
  for (double x : n) e.push_back(2.0 * std::pow(x, -0.5) + 0.05);
  PowerLaw f = fit_power_law(n, e);
  EXPECT_NEAR(f.b, 0.5, 0.01);
  EXPECT_NEAR(f.c, 0.05, 0.002);
  EXPECT_NEAR(f.at(6400), 2.0 / 80 + 0.05, 1e-3);
}

TEST(LearningCurve, TheFitWeighsEachPointByItsPrecision) {
  // A measured out-of-fold curve (underfit, generator seed 5, 4,000 rows, the default gbdt):
  // its errors and their intervals' half-widths. The few-row points are far off and widely
  // spread. 8,000 rows of the same scenario then measured 5.32% out of fold. Weighted, the
  // forecast at 2x is that; unweighted, the first points set the floor and it was 3.8%.
  const std::vector<double> n = {90, 180, 360, 720, 1440, 2880};
  const std::vector<double> e = {0.3642, 0.2339, 0.0911, 0.0681, 0.0600, 0.0533};
  const std::vector<double> half = {0.0837, 0.0466, 0.0084, 0.0041, 0.0045, 0.0048};
  const std::vector<double> w = curve_weights(half);
  ASSERT_EQ(w.size(), n.size());
  EXPECT_DOUBLE_EQ(w[3], 1.0);
  EXPECT_NEAR(w[0], (0.0041 / 0.0837) * (0.0041 / 0.0837), 1e-12);
  EXPECT_NEAR(fit_power_law(n, e, w).at(5760), 0.0532, 0.1 * 0.0532);
  EXPECT_LT(fit_power_law(n, e).at(5760), 0.9 * 0.0532);
  // A point without spread counts as the best-measured one; no spread anywhere: all alike.
  EXPECT_EQ(curve_weights({0.01, 0.0, 0.02}), (std::vector<double>{1.0, 1.0, 0.25}));
  EXPECT_EQ(curve_weights({0.0, 0.0}), (std::vector<double>{1.0, 1.0}));
  // A spread of rounding size is none; an unknown one weighs as the least precise point.
  EXPECT_EQ(curve_weights({0.01, 1e-12, 0.02}), (std::vector<double>{1.0, 1.0, 0.25}));
  EXPECT_EQ(curve_weights({0.01, std::nan(""), 0.02}), (std::vector<double>{1.0, 0.25, 0.25}));
  // Repeats alike to the last bit (the split mode's last point, the run itself) have no
  // spread: 3 x 0.0533 left about 1e-9 from the square root of a rounded difference, and that
  // point then outweighed every other by 10^13.
  const CurveMeasure m = three_repeats(n, e, [&](size_t i) { return i + 1 < n.size() ? half[i] : 0.0; });
  const nlohmann::json j = curve_json(m);
  const auto& last = j["points"].back();
  EXPECT_EQ(last["dev_low"].get<double>(), last["dev"].get<double>());
  EXPECT_EQ(last["dev_high"].get<double>(), last["dev"].get<double>());
  EXPECT_GT(j["points"][0]["dev_high"].get<double>(), j["points"][0]["dev"].get<double>());
}


// A curve still falling steeply at its last points: the fit runs on to 0 unless held at the
// optimal error's lower end. The pooled out-of-fold curve of regression_underfit (generator
// seed 81, 5,000 rows, its mlp; noise RMSE 0.3, the bound estimated at [0.285, 0.459]) was
// forecast 0.20 at 10x. Held, no forecast goes below the floor, and a floor above the lowest
// point measured (a bound estimated too high) is lowered to that point. No forecast is above
// the last point ("now"): a held fit passes above it.
TEST(LearningCurve, TheForecastStopsAtTheOptimalErrorsLowerEnd) {
  const std::vector<double> n = {112, 225, 450, 900, 1800, 3600};
  std::vector<double> e;
  for (double x : n) e.push_back(8.0 * std::pow(x, -0.5));  // 0.756 ... 0.133: no asymptote
  EXPECT_LT(fit_power_law(n, e).at(36000), 0.05);
  const PowerLaw held = fit_power_law(n, e, {}, 0.1);
  EXPECT_DOUBLE_EQ(held.c, 0.1);
  EXPECT_GE(held.at(36000), 0.1);
  CurveMeasure m = three_repeats(n, e, [&](size_t i) { return 0.02 * e[i]; });
  const auto forecasts = [](const nlohmann::json& j) {
    return std::vector<double>{j["predicted_dev_at_2x"], j["predicted_dev_at_10x"], j["predicted_dev_at_2x_range"][0],
                               j["predicted_dev_at_10x_range"][0]};
  };
  for (bool pooled : {false, true}) {
    m.pooled = pooled;
    m.floor = 0;
    EXPECT_LT(curve_json(m)["predicted_dev_at_10x"].get<double>(), 0.05);
    m.floor = 0.1;
    nlohmann::json j = curve_json(m);
    ASSERT_TRUE(j["extrapolated"].get<bool>()) << j.dump();
    EXPECT_DOUBLE_EQ(j["fit"]["floor"].get<double>(), 0.1);
    for (double f : forecasts(j)) EXPECT_GE(f, 0.1) << j.dump();
    for (double f : forecasts(j)) EXPECT_LE(f, e.back()) << j.dump();
    // The measured curve itself (its points and their intervals' half-widths): free, the
    // forecast at 10x is under the noise's RMSE of 0.3; held at 0.285, it falls from "now" and
    // stays above the floor.
    const std::vector<double> half = {0.2240, 0.2614, 0.0306, 0.0210, 0.0298, 0.0118};
    CurveMeasure real = three_repeats(n, {1.0979, 1.0337, 0.7209, 0.5754, 0.4306, 0.3703}, [&](size_t i) { return half[i]; });
    real.pooled = pooled;
    EXPECT_LT(curve_json(real)["predicted_dev_at_10x"].get<double>(), 0.25);
    real.floor = 0.285;
    j = curve_json(real);
    EXPECT_DOUBLE_EQ(j["fit"]["c"].get<double>(), 0.285) << j.dump();
    for (double f : forecasts(j)) EXPECT_GE(f, 0.285) << j.dump();
    EXPECT_LT(j["predicted_dev_at_2x"].get<double>(), real.dev.back()) << j.dump();
    EXPECT_LT(j["predicted_dev_at_10x"].get<double>(), j["predicted_dev_at_2x"].get<double>()) << j.dump();
    m.floor = 0.2;  // above the last point, 0.133
    j = curve_json(m);
    EXPECT_DOUBLE_EQ(j["fit"]["floor"].get<double>(), e.back());
    for (double f : forecasts(j)) EXPECT_DOUBLE_EQ(f, e.back()) << j.dump();
  }
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
                  "gbdt", Params{{"rounds", 300}}, 0.5, "", 1, std::nullopt};
    nlohmann::json half = learning_curve(in, registry, ctx);
    ASSERT_TRUE(half["extrapolated"].get<bool>()) << half.dump();
    in.max_fraction = 1.0;
    nlohmann::json full = learning_curve(in, registry, ctx);
    double actual = full["points"].back()["dev"];
    double predicted = half["predicted_dev_at_2x"];
    EXPECT_NEAR(predicted, actual, 0.15 * actual) << half.dump();
    // The 18 fits run side by side (parallel_jobs): one at a time gives the same curve.
    ctx.threads = 1;
    in.max_fraction = 0.5;
    EXPECT_EQ(learning_curve(in, registry, ctx).dump(), half.dump());
  }
}
