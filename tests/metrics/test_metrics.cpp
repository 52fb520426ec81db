#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "mlloop/metrics/metrics.hpp"

using namespace mlloop::metrics;

namespace {
// Binary predictions: p1 is the probability of class 1 for each row.
Predictions binary(const std::vector<int32_t>& y, const std::vector<float>& p1) {
  Predictions p;
  p.classes = 2;
  p.y = y;
  for (float q : p1) {
    p.proba.push_back(1 - q);
    p.proba.push_back(q);
  }
  return p;
}
}  // namespace

TEST(Metrics, ErrorWithWilsonInterval) {
  std::vector<int32_t> y(1000, 1);
  std::vector<float> q(1000, 0.9f);
  for (int i = 0; i < 100; ++i) q[static_cast<size_t>(i)] = 0.1f;  // 100 wrong
  auto p = binary(y, q);
  auto e = with_interval("error", p, 1);
  EXPECT_DOUBLE_EQ(e.value, 0.1);
  EXPECT_NEAR(e.low, 0.08291, 2e-4);  // Wilson, n = 1000, p = 0.1
  EXPECT_NEAR(e.high, 0.12015, 2e-4);
}

TEST(Metrics, WilsonIntervalCoversNinetyFivePercent) {
  std::mt19937_64 rng(5);
  std::bernoulli_distribution wrong(0.2);
  int covered = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    std::vector<int32_t> y(400, 0);
    std::vector<float> q(400);
    for (auto& v : q) v = wrong(rng) ? 0.9f : 0.1f;
    auto e = with_interval("error", binary(y, q), 1);
    covered += e.low <= 0.2 && 0.2 <= e.high;
  }
  double rate = static_cast<double>(covered) / trials;
  EXPECT_GT(rate, 0.92);
  EXPECT_LT(rate, 0.98);
}

TEST(Metrics, AucF1LoglossOnHandComputedCases) {
  auto p = binary({0, 0, 1, 1}, {0.1f, 0.4f, 0.35f, 0.8f});
  EXPECT_DOUBLE_EQ(compute("auc", p), 0.75);
  EXPECT_DOUBLE_EQ(compute("auc", binary({0, 1}, {0.5f, 0.5f})), 0.5);  // ties count half
  EXPECT_DOUBLE_EQ(compute("auc", binary({0, 0, 1}, {0.9f, 0.8f, 0.1f})), 0.0);
  // Predicted classes: 0,0,0,1 -> tp 1, fp 0, fn 1: F1 = 2/3.
  EXPECT_NEAR(compute("f1", p), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(compute("error", p), 0.25, 1e-12);
  // Uniform probabilities over K classes: log loss = log K.
  Predictions u;
  u.classes = 4;
  u.y = {0, 1, 2, 3, 1};
  u.proba.assign(20, 0.25f);
  EXPECT_NEAR(compute("logloss", u), std::log(4.0), 1e-6);
  EXPECT_DOUBLE_EQ(as_loss("auc", 0.75), 0.25);
  EXPECT_DOUBLE_EQ(as_loss("error", 0.1), 0.1);
  // Said to a person: an auc loss of 0.25 is an AUC of 0.75, and reads as one.
  EXPECT_EQ(said("auc", 0.25), "auc 0.7500 (as a loss 0.2500)");
  EXPECT_EQ(said("error", 0.1), "error 0.1000");
}

TEST(Metrics, BalancedErrorAndMacroScores) {
  Predictions p;
  p.classes = 3;
  p.y = {0, 0, 0, 0, 1, 2};
  // Always predicts class 0.
  for (int i = 0; i < 6; ++i) p.proba.insert(p.proba.end(), {0.8f, 0.1f, 0.1f});
  EXPECT_NEAR(compute("error", p), 2.0 / 6.0, 1e-12);
  EXPECT_NEAR(compute("balanced_error", p), 2.0 / 3.0, 1e-12);  // recall 1, 0, 0
  EXPECT_NEAR(compute("f1", p), (2.0 * 4 / (2 * 4 + 2)) / 3.0, 1e-12);
}

TEST(Metrics, CalibrationError) {
  // Confidence 0.9 on every row and 90% right: perfectly calibrated.
  std::vector<int32_t> y(100, 1);
  for (int i = 0; i < 10; ++i) y[static_cast<size_t>(i)] = 0;
  auto p = binary(y, std::vector<float>(100, 0.9f));
  EXPECT_NEAR(compute("ece", p), 0.0, 1e-6);
  auto q = binary(std::vector<int32_t>(100, 0), std::vector<float>(100, 0.9f));  // 0.9 confident, always wrong
  EXPECT_NEAR(compute("ece", q), 0.9, 1e-6);
}

TEST(Metrics, Regression) {
  Predictions p;
  p.classification = false;
  p.target = {1, 2, 3, 4};
  p.value = {1, 2, 3, 6};
  EXPECT_DOUBLE_EQ(compute("rmse", p), 1.0);
  EXPECT_DOUBLE_EQ(compute("mae", p), 0.5);
  EXPECT_DOUBLE_EQ(compute("r2", p), 1.0 - 4.0 / 5.0);
  auto i = with_interval("rmse", p, 3, 200);
  EXPECT_LE(i.low, i.value);
  EXPECT_GE(i.high, i.value);
  auto j = with_interval("rmse", p, 3, 200);
  EXPECT_EQ(i.low, j.low);  // seeded: the same interval again
}

// rmse, mae and logloss on 2,000 rows or more get the normal-theory interval of their mean:
// it must cover the true value about 95% of the time, squared errors' skew notwithstanding.
TEST(Metrics, NormalIntervalOfAMeanCovers) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::bernoulli_distribution positive(0.3);
  const int trials = 400;
  const size_t n = 2500;
  const double true_rmse = 2.0, true_mae = 2.0 * std::sqrt(2.0 / std::numbers::pi);
  const double true_logloss = -(0.3 * std::log(0.3) + 0.7 * std::log(0.7));
  int rmse_in = 0, mae_in = 0, logloss_in = 0;
  double width = 0;
  for (int t = 0; t < trials; ++t) {
    Predictions p;
    p.classification = false;
    p.target.resize(n);
    p.value.resize(n);
    for (size_t i = 0; i < n; ++i) {
      p.target[i] = static_cast<float>(i % 7);
      p.value[i] = static_cast<float>(p.target[i] + noise(rng));
    }
    auto r = with_interval("rmse", p, 1, 200);
    auto m = with_interval("mae", p, 1, 200);
    ASSERT_LE(r.low, r.value);
    ASSERT_GE(r.high, r.value);
    rmse_in += r.low <= true_rmse && true_rmse <= r.high;
    mae_in += m.low <= true_mae && true_mae <= m.high;
    width += r.high - r.low;
    std::vector<int32_t> y(n);
    for (auto& v : y) v = positive(rng) ? 1 : 0;
    auto l = with_interval("logloss", binary(y, std::vector<float>(n, 0.3f)), 1, 200);
    logloss_in += l.low <= true_logloss && true_logloss <= l.high;
  }
  for (int covered : {rmse_in, mae_in, logloss_in}) {
    EXPECT_GT(covered, 0.92 * trials);
    EXPECT_LT(covered, 0.98 * trials);
  }
  // The half-width of the rmse's: z * sd(e^2) / sqrt(n) / (2 * rmse), sd(e^2) = sqrt(2) * 4.
  EXPECT_NEAR(width / trials / 2, 1.96 * std::sqrt(2.0) * 4 / std::sqrt(2500.0) / 4, 0.005);
}

TEST(Metrics, McNemarFindsARealDifferenceAndNotANoise) {
  const size_t n = 1000;
  std::vector<int32_t> y(n, 1);
  std::vector<float> qa(n, 0.9f), qb(n, 0.9f);
  for (size_t i = 0; i < 60; ++i) qa[i] = 0.1f;   // A wrong on 60 rows B gets right
  for (size_t i = 60; i < 70; ++i) qb[i] = 0.1f;  // B wrong on 10 rows A gets right
  auto a = binary(y, qa), b = binary(y, qb);
  auto r = compare("error", a, b, 1);
  EXPECT_EQ(r.test, "mcnemar");
  EXPECT_EQ(r.resamples, 0);
  EXPECT_NEAR(r.diff, 0.05, 1e-12);
  EXPECT_LT(r.p_value, 1e-6);
  EXPECT_TRUE(r.b_better_significant);
  EXPECT_GT(r.low, 0.0);
  auto back = compare("error", b, a, 1);
  EXPECT_FALSE(back.b_better_significant);
  // 6 against 4 discordant rows: not significant.
  std::vector<float> qc(n, 0.9f), qd(n, 0.9f);
  for (size_t i = 0; i < 6; ++i) qc[i] = 0.1f;
  for (size_t i = 6; i < 10; ++i) qd[i] = 0.1f;
  auto s = compare("error", binary(y, qc), binary(y, qd), 1);
  EXPECT_NEAR(s.p_value, 0.7539, 1e-3);  // exact binomial, 4 of 10
  EXPECT_FALSE(s.b_better_significant);
}

TEST(Metrics, PairedBootstrapForAuc) {
  std::mt19937_64 rng(9);
  std::normal_distribution<float> noise(0, 1);
  const size_t n = 2000;
  std::vector<int32_t> y(n);
  std::vector<float> good(n), weak(n);
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<int32_t>(i % 2);
    float signal = y[i] ? 1.f : -1.f;
    good[i] = 1 / (1 + std::exp(-(2 * signal + noise(rng))));
    weak[i] = 1 / (1 + std::exp(-(0.2f * signal + noise(rng))));
  }
  auto r = compare("auc", binary(y, weak), binary(y, good), 4, 300);
  EXPECT_EQ(r.test, "paired_bootstrap");
  EXPECT_GT(r.diff, 0.1);
  EXPECT_TRUE(r.b_better_significant);
  auto same = compare("auc", binary(y, good), binary(y, good), 4, 300);
  EXPECT_FALSE(same.b_better_significant);
  EXPECT_DOUBLE_EQ(same.p_value, 1.0);  // every resample a tie: no evidence either way (it said p = 0)
}

// Ties in the bootstrap count half on each side. A is right on 20 rows and B wrong on one of
// them: a resample without that row (about (19/20)^20 = 36% of them) is a tie. Counted as
// "A not worse", every resample was, and p came out 0 beside an interval ending at 0.
TEST(Metrics, PairedBootstrapTiesAreNoEvidence) {
  std::vector<int32_t> y(20);
  std::vector<float> right(20), one_wrong(20);
  for (size_t i = 0; i < 20; ++i) {
    y[i] = static_cast<int32_t>(i % 2);
    right[i] = y[i] ? 0.9f : 0.1f;
    one_wrong[i] = i == 3 ? 0.1f : right[i];
  }
  auto r = compare("f1", binary(y, right), binary(y, one_wrong), 4, 1000);
  EXPECT_EQ(r.test, "paired_bootstrap");
  EXPECT_LT(r.diff, 0);
  EXPECT_DOUBLE_EQ(r.high, 0.0);
  EXPECT_GT(r.p_value, 0.2);
  EXPECT_LT(r.p_value, 0.55);
  EXPECT_FALSE(r.b_better_significant);
}

// compare_repeated: repeated cross-validation gives each row one prediction per repeat.
namespace {
// Binary predictions on rows whose truth is 1: wrong[i] says whether the row is predicted 0.
Predictions wrong_rows(const std::vector<bool>& wrong) {
  std::vector<float> q;
  for (bool w : wrong) q.push_back(w ? 0.1f : 0.9f);
  return binary(std::vector<int32_t>(wrong.size(), 1), q);
}
}  // namespace

TEST(Metrics, CompareRepeatedWithOneRepeatIsMcNemar) {
  std::vector<bool> wa(1000, false), wb(1000, false);
  for (size_t i = 0; i < 6; ++i) wa[i] = true;
  for (size_t i = 6; i < 10; ++i) wb[i] = true;
  auto r = compare_repeated("error", {wrong_rows(wa)}, {wrong_rows(wb)}, 1);
  EXPECT_EQ(r.test, "mcnemar");
  EXPECT_NEAR(r.p_value, 0.7539, 1e-3);
}

TEST(Metrics, CompareRepeatedCountsRowsNotRowRepeats) {
  // The same predictions in each of 3 repeats carry no more evidence than one repeat: the
  // sign-flip test over rows gives McNemar's exact p (60 against 10 discordant rows; and 6
  // against 4), where counting the 3 x n row-repeats as independent would not.
  std::vector<bool> wa(1000, false), wb(1000, false);
  for (size_t i = 0; i < 6; ++i) wa[i] = true;
  for (size_t i = 6; i < 10; ++i) wb[i] = true;
  const Predictions a = wrong_rows(wa), b = wrong_rows(wb);
  auto r = compare_repeated("error", {a, a, a}, {b, b, b}, 1);
  EXPECT_EQ(r.test, "sign_flip");
  EXPECT_NEAR(r.p_value, 0.7539, 1e-3);
  EXPECT_NEAR(r.diff, 0.002, 1e-12);
  // Differences of 3, 3, 3 and 1 repeats (out of 3): of the 16 sign patterns, only the
  // observed one and its mirror reach |sum| >= 10, so p = 2 / 16.
  std::vector<bool> wc(1000, false), w1(1000, false);
  for (size_t i = 0; i < 4; ++i) wc[i] = true;
  w1[3] = true;  // row 3: candidate C is wrong in 2 of the 3 repeats
  const Predictions c = wrong_rows(wc), good = wrong_rows(std::vector<bool>(1000, false));
  auto s = compare_repeated("error", {c, c, c}, {good, wrong_rows(w1), wrong_rows(w1)}, 1);
  EXPECT_NEAR(s.p_value, 0.125, 1e-12);
  EXPECT_NEAR(s.diff, (4.0 - 2.0 / 3) / 1000, 1e-12);
  EXPECT_FALSE(s.b_better_significant);
  // Repeats that disagree in length are refused.
  EXPECT_THROW(compare_repeated("error", {a, a}, {b, wrong_rows(std::vector<bool>(999, false))}, 1), std::invalid_argument);
}

TEST(Metrics, CompareRepeatedHoldsItsLevelAndGainsPowerOverOneRepeat) {
  // Each row has its own chance that model A, and model B, gets it wrong in a repeat (a row a
  // model finds hard stays hard whatever the folds); each repeat draws anew around it. Under
  // the null the two models' chances come from one distribution: about 5% of the tests may
  // reject, however many repeats. With B better on average, averaging 3 repeats rejects more
  // often than the first repeat alone.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  const size_t n = 300, trials = 300;
  int null_rejects = 0, one_repeat = 0, three_repeats = 0;
  for (size_t t = 0; t < trials; ++t) {
    for (double gain : {0.0, 0.05}) {
      std::vector<double> qa(n), qb(n);
      for (size_t i = 0; i < n; ++i) {
        qa[i] = 0.4 * u(rng);
        qb[i] = std::max(0.0, 0.4 * u(rng) - gain);
      }
      std::vector<Predictions> a, b;
      for (int r = 0; r < 3; ++r) {
        std::vector<bool> wa(n), wb(n);
        for (size_t i = 0; i < n; ++i) {
          wa[i] = u(rng) < qa[i];
          wb[i] = u(rng) < qb[i];
        }
        a.push_back(wrong_rows(wa));
        b.push_back(wrong_rows(wb));
      }
      const auto r3 = compare_repeated("error", a, b, t);
      if (gain == 0.0) {
        null_rejects += r3.p_value < 0.05;
      } else {
        three_repeats += r3.b_better_significant;
        one_repeat += compare("error", a[0], b[0], t).b_better_significant;
      }
    }
  }
  EXPECT_LT(null_rejects, 0.08 * trials);
  EXPECT_GT(null_rejects, 0.02 * trials);
  EXPECT_GT(three_repeats, one_repeat + static_cast<int>(0.1 * trials));
}

TEST(Metrics, CompareRepeatedBootstrapsRowsWithTheirRepeats) {
  std::mt19937_64 rng(9);
  std::normal_distribution<float> noise(0, 1);
  const size_t n = 600;
  std::vector<int32_t> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(i % 2);
  std::vector<Predictions> good, weak;
  for (int r = 0; r < 3; ++r) {
    std::vector<float> g(n), w(n);
    for (size_t i = 0; i < n; ++i) {
      const float signal = y[i] ? 1.f : -1.f;
      g[i] = 1 / (1 + std::exp(-(2 * signal + noise(rng))));
      w[i] = 1 / (1 + std::exp(-(0.5f * signal + noise(rng))));
    }
    good.push_back(binary(y, g));
    weak.push_back(binary(y, w));
  }
  auto r = compare_repeated("logloss", weak, good, 4, 300);
  EXPECT_EQ(r.test, "paired_bootstrap");
  EXPECT_EQ(r.resamples, 300);  // p = 0 here means p < 2 / 300
  EXPECT_GT(r.diff, 0.1);
  EXPECT_TRUE(r.b_better_significant);
  EXPECT_LT(r.low, r.diff);
  EXPECT_GT(r.high, r.diff);
  EXPECT_FALSE(compare_repeated("logloss", good, weak, 4, 300).b_better_significant);
  EXPECT_FALSE(compare_repeated("auc", good, good, 4, 300).b_better_significant);
}
