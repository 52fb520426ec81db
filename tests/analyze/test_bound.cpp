// The optimal-error bound against the scenarios' known Bayes errors.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "mlloop/analyze/bound.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/model/pipeline.hpp"
#include "fitting.hpp"
#include "test_support.hpp"

using namespace mlloop;
using namespace mlloop::testing;

namespace {
OptimalBound estimate(const std::string& scenario, int rows, nlohmann::json& truth, bool mae = false, int seed = 7) {
  TempDir tmp;
  truth = make_scenario(scenario, tmp.path(), seed, rows);
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
  return estimate_optimal_error(p.transform(ds, all), p.target(ds, all), p.shape(), registry, ctx, mae);
}

// A table of standard normal features, generated here: f = the sum over pairs (x_2j, x_2j+1)
// of the first `relevant` features of sin(1.5 x_2j) x_2j+1; y = f + N(0, noise^2), or with
// `classes`, 1 when that is above 0. `bayes` gets the noise (RMSE), or the Bayes error rate:
// the mean over the rows of P(the noise flips the sign of f).
OptimalBound estimate_pairs(size_t rows, size_t features, size_t relevant, double noise, bool classes = false,
                            double* bayes = nullptr) {
  std::mt19937_64 rng(5);
  auto normal = [&] {  // Box-Muller on the engine's bits: the same draws everywhere, up to libm's rounding
    const double u1 = (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = static_cast<double>(rng() >> 11) / 9007199254740992.0;
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  Matrix x{rows, features, std::vector<float>(rows * features)};
  std::vector<float> y(rows);
  double flip = 0;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < features; ++j) x.at(i, j) = static_cast<float>(normal());
    double f = 0;
    for (size_t j = 0; j + 1 < relevant; j += 2) f += std::sin(1.5 * x.at(i, j)) * x.at(i, j + 1);
    const double v = f + noise * normal();
    y[i] = static_cast<float>(classes ? (v > 0 ? 1.0 : 0.0) : v);
    flip += 0.5 * std::erfc(std::abs(f) / noise / std::sqrt(2.0));
  }
  if (bayes) *bayes = classes ? flip / static_cast<double>(rows) : noise;
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  return estimate_optimal_error(x, y, classes ? TaskShape{true, 2} : TaskShape{false, 0}, registry, ctx);
}

// A table of `classes` classes drawn from a softmax of linear scores: score_c = scale / sqrt(m)
// times the sum of W_cj x_j over the first m = `informative` standard normal features (W standard
// normal too), then `noise` features that carry nothing. `bayes` gets the Bayes error rate: the
// mean over the rows of 1 - the largest class probability.
OptimalBound estimate_softmax(size_t rows, size_t classes, size_t informative, size_t noise, double scale, double& bayes) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::vector<double> w(classes * informative);
  for (auto& v : w) v = normal(rng);
  const size_t features = informative + noise;
  Matrix x{rows, features, std::vector<float>(rows * features)};
  std::vector<float> y(rows);
  bayes = 0;
  std::vector<double> p(classes);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < features; ++j) x.at(i, j) = static_cast<float>(normal(rng));
    for (size_t c = 0; c < classes; ++c) {
      double z = 0;
      for (size_t j = 0; j < informative; ++j) z += w[c * informative + j] * x.at(i, j);
      p[c] = scale * z / std::sqrt(static_cast<double>(informative));
    }
    const double top = *std::max_element(p.begin(), p.end());
    double sum = 0;
    for (auto& v : p) sum += v = std::exp(v - top);
    for (auto& v : p) v /= sum;
    bayes += 1 - *std::max_element(p.begin(), p.end());
    double u = uniform(rng);
    size_t c = 0;
    while (c + 1 < classes && u >= p[c]) u -= p[c++];
    y[i] = static_cast<float>(c);
  }
  bayes /= static_cast<double>(rows);
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  return estimate_optimal_error(x, y, TaskShape{true, classes}, registry, ctx);
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

// Classes that overlap: the estimate reads the 1-NN error as two classes competing at each
// point, the lower end as Cover–Hart for all of them. With Cover–Hart for all the classes in
// the estimate too, it lay 0.031 below the Bayes error of the 6-class table (0.289); now
// 0.013. All three stay below: Cover–Hart on the 1-NN error is short of an optimum whose class
// probabilities vary smoothly, and the estimate is the midpoint between that and the best
// out-of-fold error. On the 8-class table the softmax (linear) is right, its out-of-fold error
// 0.197 for a Bayes error of 0.194, and the midpoint lies 0.025 below (0.030 with Cover–Hart
// for 8 classes). Ten classes with an optimum of 0.622: the two-class reading tops out at 0.5,
// and the point value takes the K-class one, 0.533 (the estimate 0.580; 0.564 with the
// two-class reading, below the lower end's own Cover–Hart point).
TEST(Bound, OverlappingClassesEstimateWithin2Points) {
  struct Table { size_t classes, informative, noise; double scale, tolerance; };
  for (const Table t : {Table{6, 6, 0, 2.5, 0.02}, Table{3, 4, 2, 2.0, 0.02}, Table{8, 6, 0, 4.0, 0.03},
                        Table{10, 4, 0, 1.0, 0.05}}) {
    double bayes = 0;
    OptimalBound b = estimate_softmax(7000, t.classes, t.informative, t.noise, t.scale, bayes);
    SCOPED_TRACE(fmt::format("{} classes, {} informative: Bayes {:.4f}, {}", t.classes, t.informative, bayes, b.evidence.dump()));
    EXPECT_NEAR(b.value, bayes, t.tolerance);
    EXPECT_LE(b.low, bayes);
    EXPECT_LE(b.low, b.value);
    EXPECT_LE(b.value, b.high);
  }
}

// The lower end allows for the sampling error of the 1-NN error it starts from. Without it, at
// a few thousand rows the lower end lay above the Bayes error on most seeds, often as an
// interval of no width ([0.0593, 0.0594] on underfit at 3,500 rows, Bayes 0.05), and the loop
// read a dev error within noise of it as the optimum.
TEST(Bound, TheClassificationLowerEndAllowsForItsSamplingError) {
  for (const char* s : {"underfit", "at_optimum"})
    for (int seed : {3, 11}) {
      nlohmann::json truth;
      OptimalBound b = estimate(s, 3500, truth, false, seed);
      const double bayes = truth["bayes_error"];
      SCOPED_TRACE(fmt::format("{} seed {}: {}", s, seed, b.evidence.dump()));
      EXPECT_LE(b.low, bayes);
      EXPECT_GT(b.low, 0.5 * bayes);
      EXPECT_GT(b.high - b.low, 0.004);
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

// With --metric mae the bound is on the mean absolute error's scale (CONTRACT.md: estimated for
// error, rmse and mae); it used to be null. Gaussian noise of sd 0.3: the optimal MAE, the
// noise's mean distance from its median, is 0.3 sqrt(2/pi) = 0.239.
TEST(Bound, MeanAbsoluteErrorWithin15Percent) {
  nlohmann::json truth;
  OptimalBound b = estimate("regression_underfit", 5000, truth, true);
  SCOPED_TRACE(b.evidence.dump());
  const double mae = truth["bayes_rmse"].get<double>() * std::sqrt(2 / 3.141592653589793);
  EXPECT_NEAR(b.value, mae, 0.15 * mae);
  EXPECT_LE(b.low, mae);
  EXPECT_LE(b.low, b.value);
  EXPECT_LE(b.value, b.high);
  EXPECT_LT(b.high, truth["bayes_rmse"].get<double>() * 1.5);  // an MAE: the RMSE bound's high end was about 0.33 and up
  OptimalBound rmse = estimate("regression_underfit", 5000, truth, false);
  EXPECT_LT(b.value, rmse.value);
}

// The Gamma test's intercept extrapolates from the nearest neighbours down to distance 0. With
// 8 features that matter among 5,000 rows the neighbours are far, the points bend, and the
// intercept lands far above the noise (0.46 for 0.2): read as the lower end, it made the gbdt's
// out-of-fold 0.48 look like the optimum and the loop stop there. The bracket now reaches
// below the noise and the estimate is within half of it. With 2 features that matter the
// neighbours are near and the bracket stays tight around the noise.
TEST(Bound, RegressionBracketWidensWhenTheNeighboursAreFar) {
  OptimalBound far = estimate_pairs(5000, 8, 8, 0.2);
  SCOPED_TRACE(far.evidence.dump());
  EXPECT_EQ(far.method, "gamma_test+oof");
  EXPECT_LE(far.low, 0.2);
  EXPECT_NEAR(far.value, 0.2, 0.1);
  EXPECT_GT(far.high, 0.35);  // the default models' out-of-fold RMSE: far from the noise
  EXPECT_LE(far.low, far.value);
  EXPECT_LE(far.value, far.high);

  OptimalBound near = estimate_pairs(3000, 3, 2, 0.1);
  SCOPED_TRACE(near.evidence.dump());
  EXPECT_LE(near.low, 0.1);
  EXPECT_GE(near.low, 0.07);
  EXPECT_NEAR(near.value, 0.1, 0.015);
}

// The same for classes: the leave-one-out 1-NN error overstates the asymptotic one when even
// the nearest neighbour is far (here about 0.25 against a Bayes error near 0.07), and Cover–Hart
// on it put the lower end at the gbdt's out-of-fold error. Extrapolated to distance 0, the
// lower end is below the Bayes error and the estimate near it.
TEST(Bound, ClassificationLowerEndHoldsWhenTheNeighboursAreFar) {
  double bayes = 0;
  OptimalBound b = estimate_pairs(5000, 8, 8, 0.3, true, &bayes);
  SCOPED_TRACE(b.evidence.dump() + " bayes " + std::to_string(bayes));
  EXPECT_GT(b.evidence["loo_1nn_error"].get<double>(), 2.5 * bayes);
  EXPECT_LE(b.low, bayes);
  EXPECT_GT(b.low, 0.25 * bayes);
  EXPECT_NEAR(b.value, bayes, 0.03);
  EXPECT_GT(b.high, bayes + 0.04);  // the default models are far from it
}

// A table of 2,800 rows whose target a 120-level category decides as much as a numeric feature
// does, the category read as codes (standardized, as the pipeline gives them) in an order
// unrelated to its effect, beside two features that carry nothing. With `classes`: three
// classes, a random score per level and class (sd 1.5) plus (c - 1) x0 and N(0, 0.5^2) noise,
// the top score the class. Without: y = x0 + effect[code] (sd 1.5) + N(0, 0.3^2).
namespace {
OptimalBound estimate_blind(bool classes, bool mae = false) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  const size_t rows = 2800, levels = 120, k = classes ? 3 : 1;
  std::vector<double> effect(levels * k);
  for (auto& e : effect) e = 1.5 * normal(rng);
  Matrix x{rows, 4, std::vector<float>(rows * 4)};
  std::vector<float> y(rows);
  for (size_t i = 0; i < rows; ++i) {
    const size_t code = rng() % levels;
    for (size_t j = 0; j < 4; ++j) x.at(i, j) = static_cast<float>(normal(rng));
    x.at(i, 3) = static_cast<float>((static_cast<double>(code) - 59.5) / 34.6);
    if (!classes) {
      y[i] = static_cast<float>(x.at(i, 0) + effect[code] + 0.3 * normal(rng));
      continue;
    }
    size_t best = 0;
    double top = -1e300;
    for (size_t c = 0; c < 3; ++c) {
      const double s = (static_cast<double>(c) - 1) * x.at(i, 0) + effect[code * 3 + c] + 0.5 * normal(rng);
      if (s > top) top = s, best = c;
    }
    y[i] = static_cast<float>(best);
  }
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  return estimate_optimal_error(x, y, classes ? TaskShape{true, 3} : TaskShape{false, 0}, registry, ctx, mae);
}
}  // namespace

// Three classes decided by a category as above. Rows near in code are not near in effect, so
// the 1-NN error is about 0.48 and Cover-Hart's lower end about 0.26, above the default gbdt's
// out-of-fold error (about 0.23), which learns the codes. That lower end was clamped to the
// upper one: a bracket of no width, and the loop stopped "at the optimum" with a 20-point
// variance gap open. The neighbours say nothing here: the bracket is [0, the best out-of-fold
// error], its midpoint the estimate.
TEST(Bound, NeighboursBlindToWhatTheModelsLearnLeaveTheBracketOpen) {
  const OptimalBound b = estimate_blind(true);
  SCOPED_TRACE(b.evidence.dump());
  EXPECT_EQ(b.method, "oof_only:nn_bound_above_oof");
  EXPECT_GT(b.evidence["loo_1nn_error"].get<double>(), 0.4);
  EXPECT_EQ(b.low, 0.0);
  EXPECT_NEAR(b.value, b.high / 2, 1e-12);
  EXPECT_LT(b.high, 0.3);  // the gbdt learns the codes
}

// The same for regression: the Gamma test reads the category's effects as noise, and its
// lower end lies above the gbdt's out-of-fold RMSE (and MAE).
TEST(Bound, NeighboursBlindToWhatTheModelsLearnLeaveTheRegressionBracketOpen) {
  for (bool mae : {false, true}) {
    const OptimalBound b = estimate_blind(false, mae);
    SCOPED_TRACE(b.evidence.dump());
    EXPECT_EQ(b.method, "oof_only:gamma_test_above_oof") << mae;
    EXPECT_EQ(b.low, 0.0);
    EXPECT_NEAR(b.value, b.high / 2, 1e-12);
  }
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

TEST(Bound, TheAnalysesGbdtFitsScaleTheirBinsToTheRowsAndTheWidth) {
  // A quarter of the rows, 32 to 256, and on a wide table no more than 2^17 / features (never
  // under 32); a max_bin given is kept, and other families are left alone.
  Registry registry;
  register_builtins(registry);
  const Family& gbdt = registry.get("gbdt");
  EXPECT_EQ(analyze::with_analysis_params(gbdt, Params::object(), 400, 10).at("max_bin"), 100);
  EXPECT_EQ(analyze::with_analysis_params(gbdt, Params::object(), 60, 10).at("max_bin"), 32);
  EXPECT_EQ(analyze::with_analysis_params(gbdt, Params::object(), 5000, 512).at("max_bin"), 256);
  EXPECT_EQ(analyze::with_analysis_params(gbdt, Params::object(), 5000, 3000).at("max_bin"), 43);
  EXPECT_EQ(analyze::with_analysis_params(gbdt, Params::object(), 5000, 100000).at("max_bin"), 32);
  EXPECT_EQ(analyze::with_analysis_params(gbdt, Params::object(), 400, 3000).at("max_bin"), 43);
  EXPECT_EQ(analyze::with_analysis_params(gbdt, Params{{"max_bin", 16}}, 400, 3000).at("max_bin"), 16);
  EXPECT_FALSE(analyze::with_analysis_params(registry.get("linear"), Params::object(), 400, 3000).contains("max_bin"));
  EXPECT_EQ(analyze::bins_for_features(0), 256);
  EXPECT_EQ(analyze::bins_for_features(1000), 131);
}

TEST(Bound, TheAnalysesGbdtFitsUseEveryRowAndColumnWhateverTheModelsDefault) {
  // The gbdt family samples rows and columns by default; the analyses' fits do not, unless
  // their params say so (a learning curve fits a run's own params).
  Registry registry;
  register_builtins(registry);
  const Family& gbdt = registry.get("gbdt");
  const Params resolved = resolve_params(gbdt, Params::object());
  EXPECT_LT(resolved.at("subsample").get<double>(), 1.0);
  EXPECT_LT(resolved.at("colsample_bytree").get<double>(), 1.0);
  const Params a = resolve_params(gbdt, analyze::with_analysis_params(gbdt, Params::object(), 400, 10));
  EXPECT_DOUBLE_EQ(a.at("subsample").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(a.at("colsample_bytree").get<double>(), 1.0);
  const Params run = analyze::with_analysis_params(gbdt, resolved, 400, 10);
  EXPECT_DOUBLE_EQ(run.at("subsample").get<double>(), resolved.at("subsample").get<double>());
  EXPECT_FALSE(analyze::with_analysis_params(registry.get("linear"), Params::object(), 400, 10).contains("subsample"));
}

// The lower end extrapolates the disagreement with the k-th neighbour in its distance, not in
// its square: across underfit's sharp XOR boundary the disagreement grows with the distance, and
// a line in the squared distance met 0 above the Bayes error on half the draws (seeds 20-31 at
// 3,500 rows: 6 of 12 lower ends above 0.05, up to 0.061), where the loop then stopped
// `at_optimum` with a variance gap open. The line in the distance leaves one draw above (0.055; the
// scenario's flips are drawn, so a draw can hold more than 5%).
TEST(Bound, TheClassificationLowerEndStaysBelowTheBayesErrorAcrossDraws) {
  int above = 0;
  for (int seed = 20; seed < 32; ++seed) {
    nlohmann::json truth;
    OptimalBound b = estimate("underfit", 3500, truth, false, seed);
    const double bayes = truth["bayes_error"];
    SCOPED_TRACE(fmt::format("seed {}: {}", seed, b.evidence.dump()));
    above += b.low > bayes;
    EXPECT_GT(b.low, 0.5 * bayes);  // still a bound that says something
    EXPECT_LE(b.low, b.value);
  }
  EXPECT_LE(above, 2);
}

// Where the table is at its optimum, the neighbours' lower end and the best out-of-fold error
// meet from either side, and sampling can put the first a little above the second. The bracket
// then closes on the upper end, give or take its own sampling error, instead of opening to
// [0, upper] as for neighbours blind to what the models learn (above; their own 10-NN vote errs
// 1.9x the upper end there, 1.02-1.06x here). conflicting_duplicates at 8,000 rows: a fifth of the
// rows are copies of others with the opposite label, so every rule errs on about 0.2 of fresh
// rows; the lower end came out above the linear model's out-of-fold 0.21, and the bracket was
// [0, 0.21] with an estimate of 0.10: 10 points of avoidable bias that were not there.
TEST(Bound, NeighboursMeetingTheUpperEndCloseTheBracketThere) {
  nlohmann::json truth;
  const OptimalBound b = estimate("conflicting_duplicates", 8000, truth, false, 20);
  SCOPED_TRACE(b.evidence.dump());
  EXPECT_EQ(b.method, "cover_hart_weighted_1nn+oof:met");
  EXPECT_LE(b.evidence["knn_vote_error"].get<double>(), 1.25 * b.high);
  EXPECT_GT(b.low, 0.18);
  EXPECT_LT(b.low, b.high);
  EXPECT_EQ(b.value, b.high);
  EXPECT_LT(b.high, 0.23);
}

// Where the features say nothing of the target, the default models err above the best
// constant, which bounds the optimum too: 300 rows of coin flips had the upper end at the
// gbdt's 0.519, above the majority class's 0.467. The upper end is at most the majority
// class's error, the median's mean absolute deviation (mae), the standard deviation (rmse).
TEST(Bound, TheUpperEndIsAtMostTheBestConstantsLoss) {
  std::mt19937_64 rng(31);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const size_t rows = 300, features = 5;
  Matrix x{rows, features, std::vector<float>(rows * features)};
  std::vector<float> cls(rows), reg(rows);
  size_t ones = 0;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < features; ++j) x.at(i, j) = static_cast<float>(normal(rng));
    cls[i] = uniform(rng) < 0.4 ? 1.f : 0.f;
    ones += cls[i] == 1.f;
    reg[i] = static_cast<float>(std::pow(normal(rng), 3));  // heavy tails, nothing to do with x
  }
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  const double majority = static_cast<double>(std::min(ones, rows - ones)) / rows;
  const OptimalBound c = estimate_optimal_error(x, cls, TaskShape{true, 2}, registry, ctx);
  EXPECT_NEAR(c.evidence["constant"].get<double>(), majority, 1e-12);
  EXPECT_LE(c.high, majority + 1e-12);
  EXPECT_GT(std::min(c.evidence["oof_gbdt"].get<double>(), c.evidence["oof_linear"].get<double>()), majority)
      << "the models beat the constant: this table no longer tests the cap";
  EXPECT_LE(c.value, c.high);
  std::vector<float> sorted = reg;
  std::sort(sorted.begin(), sorted.end());
  double mad = 0, mean = 0, var = 0;
  for (float v : reg) mad += std::abs(v - sorted[rows / 2]), mean += v;
  mad /= rows;
  mean /= rows;
  for (float v : reg) var += (v - mean) * (v - mean);
  const OptimalBound m = estimate_optimal_error(x, reg, TaskShape{false, 0}, registry, ctx, true);
  EXPECT_LE(m.high, mad + 1e-6);
  const OptimalBound r = estimate_optimal_error(x, reg, TaskShape{false, 0}, registry, ctx, false);
  EXPECT_LE(r.high, std::sqrt(var / rows) + 1e-6);
}
