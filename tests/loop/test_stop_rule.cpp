// The at_optimum stop rule on hand-made diagnoses, and the measure step's choice among
// candidates on hand-made predictions: each case is one a wrong rule gets wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mlloop/loop/loop.hpp"

namespace mlloop {
namespace {

using nlohmann::json;

json err(double value, double half) { return {{"value", value}, {"low", value - half}, {"high", value + half}}; }

// A diagnosis: train, train-dev and dev (dev = train-dev, as cross-validation reports them),
// the bound as a bracket [low, high] with its value, and the bottleneck.
json diagnosis(double train, double dev, double dev_half, double opt_low, double opt_high, double opt_value,
               const std::string& bottleneck) {
  return {{"errors",
           {{"train", err(train, 0.01)},
            {"train_dev", err(dev, dev_half)},
            {"dev", err(dev, dev_half)},
            {"optimal", {{"value", opt_value}, {"low", opt_low}, {"high", opt_high}}}}},
          {"bottleneck", bottleneck}};
}

TEST(StopRule, NoGapLargerThanItsNoiseIsAtTheOptimum) {
  // at_optimum's shape: linear, train = train-dev, dev just above the bound's midpoint.
  auto why = at_optimum_reason(diagnosis(0.0898, 0.0896, 0.0083, 0.085, 0.097, 0.0911, "none"), "error");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("within noise"), std::string::npos) << *why;
}

TEST(StopRule, ABracketFromZeroIsSaidToBeOneNotAnOptimumToBeWithinNoiseOf) {
  // diamonds' price after an mlp: the bound [0, 559.1] (the Gamma test failed), its midpoint
  // 279.6 the estimate, dev 549.3 +- 31. It stopped with "dev 549.2752 is within noise
  // (281.3305) of the optimal 279.5716", a precision the bracket does not have.
  auto why = at_optimum_reason(diagnosis(529.3, 549.3, 31.4, 0.0, 559.1, 279.6, "none"), "rmse");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("is inside the optimal error's bracket [0, 559.1000], which the data do not narrow"), std::string::npos) << *why;
  EXPECT_EQ(why->find("within noise ("), std::string::npos) << *why;
  // A bracket with a lower end above 0 reads as before.
  why = at_optimum_reason(diagnosis(529.3, 549.3, 31.4, 120.0, 559.1, 339.6, "none"), "rmse");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("within noise ("), std::string::npos) << *why;
}

TEST(StopRule, ASignificantVarianceGapInsideAWideBracketIsNotTheOptimum) {
  // regression_underfit's shape after a gbdt: train 0.25, dev 0.43 +- 0.037, the bound
  // [0.3575, 0.498] with value 0.3575 (as the bound read before its lower end went below its
  // estimate). Dev is inside the bracket's noise, the overfit is real.
  EXPECT_FALSE(at_optimum_reason(diagnosis(0.253, 0.4312, 0.037, 0.3575, 0.498, 0.3575, "variance"), "rmse"));
  // The same numbers with no significant gap do stop: the bracket's width is the noise.
  EXPECT_TRUE(at_optimum_reason(diagnosis(0.42, 0.4312, 0.037, 0.3575, 0.498, 0.3575, "none"), "rmse"));
}

TEST(StopRule, DevAtTheBracketsLowerEndStopsEvenWithAVarianceGap) {
  // A flexible model overfits (train 2.8%, dev 8.3%) yet dev is below the bound's lower end.
  EXPECT_TRUE(at_optimum_reason(diagnosis(0.028, 0.0827, 0.0147, 0.0935, 0.098, 0.0958, "variance"), "error"));
  // Just above the lower end by more than dev's own noise: the gap is still work.
  EXPECT_FALSE(at_optimum_reason(diagnosis(0.028, 0.0827, 0.0147, 0.06, 0.098, 0.079, "variance"), "error"));
}

TEST(StopRule, ADevSplitTooSmallToTellSaysSoInsteadOfCallingItTheOptimum) {
  // seattle_weather with a time split: train 22.1% and train-dev 22.6% (cross-validated) far
  // above the bound [11.5%, 14.3%], dev 16.4% +- 6.0% on its own 146 rows. No remedy's gain on
  // dev could be significant, so the loop stops; the reason names the real gap.
  json d = diagnosis(0.2209, 0.2258, 0.024, 0.1148, 0.1427, 0.1288, "avoidable_bias");
  d["errors"]["dev"] = err(0.1644, 0.06);
  auto why = at_optimum_reason(d, "error");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("within its own noise (6.00%) of the optimal's lower end 11.48%"), std::string::npos) << *why;
  EXPECT_NE(why->find("the avoidable bias is real (train 22.09%, train-dev 22.58%, optimal 12.88%)"), std::string::npos) << *why;
  EXPECT_EQ(why->find("within noise ("), std::string::npos) << *why;
}

TEST(StopRule, AvoidableBiasFarAboveTheBoundIsNotTheOptimum) {
  EXPECT_FALSE(at_optimum_reason(diagnosis(0.221, 0.2215, 0.02, 0.12, 0.158, 0.137, "avoidable_bias"), "error"));
}

TEST(StopRule, AMismatchGapIsNotTheOptimum) {
  EXPECT_FALSE(at_optimum_reason(diagnosis(0.059, 0.3832, 0.04, 0.0, 0.3832, 0.3, "data_mismatch"), "error"));
}

TEST(StopRule, NoBoundNoStop) {
  json d = diagnosis(0.1, 0.1, 0.01, 0.1, 0.1, 0.1, "none");
  d["errors"]["optimal"] = nullptr;
  EXPECT_FALSE(at_optimum_reason(d, "error"));
  EXPECT_FALSE(at_optimum_reason(json::object(), "error"));
}

// The measure step's one-standard-error choice (simplest_within_noise), on hand-made binary
// predictions over 1,000 rows: a model is wrong exactly on the rows listed.
namespace choice {

metrics::Predictions wrong_on1(const std::vector<std::pair<int, int>>& ranges) {
  const int n = 1000;
  metrics::Predictions p;
  p.classification = true;
  p.classes = 2;
  for (int i = 0; i < n; ++i) p.y.push_back(i % 2);
  std::vector<bool> wrong(n, false);
  for (auto [a, b] : ranges)
    for (int i = a; i < b; ++i) wrong[i] = true;
  for (int i = 0; i < n; ++i) {
    const float right = wrong[i] ? 0.1f : 0.9f;
    const bool one = p.y[i] == 1;
    p.proba.push_back(one ? 1 - right : right);
    p.proba.push_back(one ? right : 1 - right);
  }
  return p;
}

// As the dev split gives them: one entry.
Repeats wrong_on(const std::vector<std::pair<int, int>>& ranges) { return Repeats{wrong_on1(ranges)}; }

TEST(SimplestWithinNoise, KeepsTheSimplerCandidateOnATie) {
  const auto inc = wrong_on({{0, 400}});
  const auto simple = wrong_on({{0, 200}});             // 20.0%
  const auto lowest = wrong_on({{6, 200}, {500, 501}});  // 19.5%: 6 rows against 1, within noise
  EXPECT_EQ(simplest_within_noise("error", inc, {&simple, &lowest}, 1, 7), 0u);
}

TEST(SimplestWithinNoise, KeepsTheLowestWhenTheSimplerIsSignificantlyWorse) {
  const auto inc = wrong_on({{0, 400}});
  const auto simple = wrong_on({{0, 300}});  // 30%: 106 rows against 1
  const auto lowest = wrong_on({{6, 200}, {500, 501}});
  EXPECT_EQ(simplest_within_noise("error", inc, {&simple, &lowest}, 1, 7), 1u);
}

TEST(SimplestWithinNoise, SkipsASimplerCandidateNoBetterThanTheIncumbent) {
  const auto inc = wrong_on({{0, 205}});
  const auto simple = wrong_on({{0, 200}});  // 5 rows better than the incumbent: not significant
  const auto lowest = wrong_on({{6, 200}, {500, 501}});
  EXPECT_EQ(simplest_within_noise("error", inc, {&simple, &lowest}, 1, 7), 1u);
  // The first qualifying one wins, and one on other rows (or missing) is skipped.
  const auto other_rows = [] {
    auto p = wrong_on({});
    p[0].y.pop_back();
    p[0].proba.resize(p[0].proba.size() - 2);
    return p;
  }();
  const auto inc2 = wrong_on({{0, 400}});
  const auto second = wrong_on({{0, 198}});
  EXPECT_EQ(simplest_within_noise("error", inc2, {nullptr, &other_rows, &second, &simple, &lowest}, 4, 7), 2u);
}

// The lowest need not be significantly better than the incumbent where another candidate,
// later in the remedy's order and within noise of it, is: that one is kept (it was the lowest
// or nothing, and the remedy "did not help").
TEST(SimplestWithinNoise, KeepsALaterCandidateThatIsSignificantWhenTheLowestIsNot) {
  const auto inc = wrong_on({{0, 215}});                 // 21.5%
  const auto lowest = wrong_on({{0, 100}, {215, 320}});  // 20.5%: 115 rows against 105, not significant
  const auto later = wrong_on({{0, 206}});               // 20.6%: 9 rows against 0; 106 against 105 from the lowest
  EXPECT_EQ(simplest_within_noise("error", inc, {&lowest, &later}, 0, 7), 1u);
  // Not when the lowest is significant itself: it comes first.
  const auto lowest_sig = wrong_on({{0, 200}, {215, 216}});
  EXPECT_EQ(simplest_within_noise("error", inc, {&lowest_sig, &later}, 0, 7), 0u);
}

}  // namespace choice

}  // namespace
}  // namespace mlloop
