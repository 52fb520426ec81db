// The at_optimum stop rule on hand-made diagnoses, and the measure step's choice among
// candidates on hand-made predictions: each case is one a wrong rule gets wrong.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "mlloop/core/error.hpp"
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

// The measure step's cross-validations (cross_validate_contenders) on hand-made out-of-fold
// predictions of 3 repeats over 1,000 rows, with a fake cross-validation that records what it
// fitted.
struct FakeCv {
  std::map<int64_t, std::vector<metrics::Predictions>> repeats;  // run -> its 3 repeats
  std::vector<std::pair<int64_t, bool>> calls;                  // (run, all repeats)
  CvResult operator()(int64_t run, bool all) {
    calls.emplace_back(run, all);
    CvResult r;
    r.rows = 1000;
    r.folds = 5;
    const auto& reps = repeats.at(run);
    r.oof_by_repeat.assign(reps.begin(), reps.begin() + (all ? 3 : 1));
    r.repeats = static_cast<int>(r.oof_by_repeat.size());
    for (const auto& p : r.oof_by_repeat) r.out_of_fold.value += metrics::compute("error", p) / r.repeats;
    return r;
  }
};

// Incumbent (run 1) wrong on 200 rows in every repeat. Run 2, best on dev, is 100 rows better
// on the first repeat (significant) but 100 rows worse on the other two; run 3 is worse than
// the incumbent; run 4, 5 rows behind run 2 on the first repeat (within noise), is 95 rows
// better than the incumbent in every repeat. All gbdt: after runs 2 and 3, the first repeat's
// significance skips run 4.
FakeCv lucky_first_repeat(bool lead_holds) {
  FakeCv f;
  const auto inc = wrong_on1({{0, 200}});
  f.repeats[1] = {inc, inc, inc};
  const auto lead_first = wrong_on1({{0, 100}});
  const auto lead_later = lead_holds ? lead_first : wrong_on1({{0, 300}});
  f.repeats[2] = {lead_first, lead_later, lead_later};
  const auto worse = wrong_on1({{0, 210}});
  f.repeats[3] = {worse, worse, worse};
  const auto steady = wrong_on1({{0, 105}});
  f.repeats[4] = {steady, steady, steady};
  return f;
}

TEST(CrossValidateContenders, MeasuresTheSkippedContendersWhenTheFirstRepeatsSignificanceDoesNotHold) {
  FakeCv f = lucky_first_repeat(false);
  CvResult inc = f(1, false);
  f.calls.clear();
  std::map<int64_t, CvResult> cand;
  std::vector<std::string> notes;
  cross_validate_contenders("error", 7, 3, 1, {{2, "gbdt"}, {3, "gbdt"}, {4, "gbdt"}}, inc, cand, std::ref(f),
                            [&](const std::string& s) { notes.push_back(s); });
  // First repeats of 2 and 3 (4 skipped); all repeats of the incumbent and of 2, not
  // significant; then 4's first repeat, and all of 4's as the second finalist.
  const std::vector<std::pair<int64_t, bool>> want = {{2, false}, {3, false}, {1, true}, {2, true}, {4, false}, {4, true}};
  EXPECT_EQ(f.calls, want);
  ASSERT_EQ(inc.oof_by_repeat.size(), 3u);
  ASSERT_TRUE(cand.count(4));
  EXPECT_EQ(cand.at(4).oof_by_repeat.size(), 3u);
  EXPECT_TRUE(metrics::compare_repeated("error", inc.oof_by_repeat, cand.at(4).oof_by_repeat, 7).b_better_significant);
  EXPECT_EQ(cand.at(3).oof_by_repeat.size(), 1u);  // never a finalist
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("over all 3 repeats"), std::string::npos);
}

TEST(CrossValidateContenders, EndsEarlyWhenTheSignificanceHoldsOverAllRepeats) {
  FakeCv f = lucky_first_repeat(true);
  CvResult inc = f(1, false);
  f.calls.clear();
  std::map<int64_t, CvResult> cand;
  cross_validate_contenders("error", 7, 3, 1, {{2, "gbdt"}, {3, "gbdt"}, {4, "gbdt"}}, inc, cand, std::ref(f),
                            [](const std::string&) {});
  const std::vector<std::pair<int64_t, bool>> want = {{2, false}, {3, false}, {1, true}, {2, true}};
  EXPECT_EQ(f.calls, want);
  EXPECT_FALSE(cand.count(4));
  // Another model class is measured before the end, and with one repeat there is no second pass.
  FakeCv g = lucky_first_repeat(false);
  CvResult inc1 = g(1, false);
  g.calls.clear();
  std::map<int64_t, CvResult> cand1;
  cross_validate_contenders("error", 7, 1, 1, {{2, "gbdt"}, {3, "gbdt"}, {4, "gbdt"}, {5, "mlp"}}, inc1, cand1,
                            [&](int64_t run, bool all) { return g(run == 5 ? 3 : run, all); }, [](const std::string&) {});
  const std::vector<std::pair<int64_t, bool>> want1 = {{2, false}, {3, false}, {3, false}};
  EXPECT_EQ(g.calls, want1);
  EXPECT_TRUE(cand1.count(5));
  EXPECT_FALSE(cand1.count(4));
}

}  // namespace choice

// --time-budget and [loop] run_time_cap: the units a user writes, and a clear refusal of the rest.
TEST(Duration, TheCommonUnitsAreRead) {
  EXPECT_DOUBLE_EQ(parse_duration("90", "--time-budget"), 90);
  EXPECT_DOUBLE_EQ(parse_duration("90s", "--time-budget"), 90);
  EXPECT_DOUBLE_EQ(parse_duration("30sec", "--time-budget"), 30);
  EXPECT_DOUBLE_EQ(parse_duration("500ms", "--time-budget"), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration("10m", "--time-budget"), 600);
  EXPECT_DOUBLE_EQ(parse_duration("10MIN", "--time-budget"), 600);
  EXPECT_DOUBLE_EQ(parse_duration("1.5h", "--time-budget"), 5400);
  EXPECT_DOUBLE_EQ(parse_duration("8760h", "--time-budget"), 8760 * 3600.0);
  // Centuries overflowed the clock's deadline (an audit: exit 1 for 3000000h, and a run cap of
  // 3000000h stopped every training at once): more than a year is bad input.
  for (const char* bad : {"", "ms", "10d", "10 m", "ten", "10mss", "1h30m", "nan", "0s", "-5s", "8761h", "3000000h", "1e10s"}) {
    try {
      parse_duration(bad, "--time-budget");
      ADD_FAILURE() << bad << " was read as a duration";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input) << bad;
      EXPECT_NE(e.message().find("--time-budget"), std::string::npos) << e.message();
    }
  }
}

}  // namespace
}  // namespace mlloop
