// Regression label issues on synthetic targets with planted gross errors: the flagged rows
// must be mostly the planted ones, whether the noise is constant or grows with the target.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <set>
#include <sstream>

#include "mlloop/analyze/analyses.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"

using namespace mlloop;

namespace {
// label_issues on `d` (its standardized matrix the same), with the built-in families.
nlohmann::json label_issues_of(AnalysisData& d) {
  d.x_std = d.x;
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  return label_issues(d, registry, ctx);
}

struct Planted {
  AnalysisData data;
  std::set<int64_t> bad;
};

// y = f(x0, x1) with noise of sd `base` (+ `grow` x the clean target, when > 0); every 33rd
// row (3%) gets a gross error: its target moved by 8 noise sds of its own scale.
Planted make(size_t n, double base, double grow, uint64_t seed) {
  Planted p;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  AnalysisData& d = p.data;
  d.shape = TaskShape{false, 0};
  d.x = Matrix{n, 3, std::vector<float>(n * 3)};
  for (size_t i = 0; i < n; ++i) {
    const double x0 = u(rng) * 3, x1 = u(rng), x2 = u(rng);
    d.x.at(i, 0) = static_cast<float>(x0);
    d.x.at(i, 1) = static_cast<float>(x1);
    d.x.at(i, 2) = static_cast<float>(x2);
    const double clean = std::exp(x0) + 2 * x1;
    const double sd = base + grow * clean;
    double y = clean + sd * g(rng);
    if (i % 33 == 0) {
      y += (u(rng) < 0.5 ? -8 : 8) * sd;
      p.bad.insert(static_cast<int64_t>(i));
    }
    d.y.push_back(static_cast<float>(y));
    d.row_ids.push_back(static_cast<int64_t>(i));
  }
  return p;
}

void expect_finds_the_planted(Planted p, double max_rate) {
  nlohmann::json li = label_issues_of(p.data);
  size_t hit = 0, flagged = 0;
  for (int64_t r : li["rows"]) {
    ++flagged;
    hit += p.bad.count(r);
  }
  SCOPED_TRACE(li["method"].dump() + " flagged " + std::to_string(flagged) + ", planted hit " + std::to_string(hit));
  ASSERT_GT(flagged, 0u);
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(p.bad.size()), 0.7);  // recall
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(flagged), 0.5);       // precision
  EXPECT_LE(li["estimated_noise_rate"].get<double>(), max_rate);
}
}  // namespace

TEST(LabelIssues, RegressionWithConstantNoiseFindsThePlantedErrors) {
  expect_finds_the_planted(make(3000, 0.5, 0, 3), 0.06);
}

TEST(LabelIssues, RegressionWithNoiseGrowingWithTheTargetFindsThePlantedErrors) {
  // One global scale flags the honest rows at the top of the range: the noise there is
  // ten times that at the bottom.
  expect_finds_the_planted(make(3000, 0.05, 0.1, 4), 0.06);
}

// Above 50,000 rows the out-of-fold probabilities come from 3 folds instead of 5: confident
// learning must still find the planted flips. A linear boundary, 10% of the labels flipped.
TEST(LabelIssues, LargeClassificationUsesThreeFoldsAndFindsTheFlips) {
  const size_t n = 60000;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  AnalysisData d;
  d.shape = TaskShape{true, 2};
  d.class_names = {"a", "b"};
  d.x = Matrix{n, 4, std::vector<float>(n * 4)};
  std::set<int64_t> flipped;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < 4; ++j) d.x.at(i, j) = static_cast<float>(g(rng));
    int label = d.x.at(i, 0) + 0.5 * d.x.at(i, 1) > 0 ? 1 : 0;
    if (u(rng) < 0.1) {
      label = 1 - label;
      flipped.insert(static_cast<int64_t>(i));
    }
    d.y.push_back(static_cast<float>(label));
    d.row_ids.push_back(static_cast<int64_t>(i));
  }
  nlohmann::json li = label_issues_of(d);
  EXPECT_EQ(li["folds"], 3);
  EXPECT_NEAR(li["estimated_noise_rate"].get<double>(), 0.10, 0.02);
  size_t hit = 0;
  for (int64_t r : li["rows"]) hit += flipped.count(r);
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(li["rows"].size()), 0.8);  // precision
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(flipped.size()), 0.8);     // recall
}

namespace {
// Two overlapping classes, unit Gaussians with means -1 and +1 on the first of 3 features
// (Bayes error 15.9%), 4,000 rows; `flips` of the labels then flipped at random.
nlohmann::json overlapping_classes(double flips, std::set<int64_t>* flipped) {
  const size_t n = 4000;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  AnalysisData d;
  d.shape = TaskShape{true, 2};
  d.class_names = {"a", "b"};
  d.x = Matrix{n, 3, std::vector<float>(n * 3)};
  for (size_t i = 0; i < n; ++i) {
    int label = u(rng) < 0.5 ? 1 : 0;
    for (size_t j = 0; j < 3; ++j) d.x.at(i, j) = static_cast<float>(g(rng) + (j == 0 ? 2.0 * label - 1 : 0));
    if (u(rng) < flips) {
      label = 1 - label;
      flipped->insert(static_cast<int64_t>(i));
    }
    d.y.push_back(static_cast<float>(label));
    d.row_ids.push_back(static_cast<int64_t>(i));
  }
  return label_issues_of(d);
}
}  // namespace

// Classes that overlap are no label noise: confident learning alone counted about the Bayes
// error's share of the rows as mislabeled (the rows on the wrong side of the boundary), and
// the loop recommended relabeling them. The most confident decile, where overlapping classes
// leave few labels against the prediction, cuts the count.
TEST(LabelIssues, OverlappingClassesAreNotCountedAsMislabeled) {
  std::set<int64_t> flipped;
  nlohmann::json li = overlapping_classes(0, &flipped);
  SCOPED_TRACE(li["confident_decile"].dump());
  EXPECT_LE(li["estimated_noise_rate"].get<double>(), 0.02);
  EXPECT_LE(li["confident_decile"]["disagree"].get<double>(), 0.03);
}

// ... while flips at random on the same table keep their count, and are the rows flagged.
TEST(LabelIssues, FlipsOnOverlappingClassesAreStillCounted) {
  std::set<int64_t> flipped;
  nlohmann::json li = overlapping_classes(0.10, &flipped);
  SCOPED_TRACE(li["confident_decile"].dump());
  EXPECT_GE(li["estimated_noise_rate"].get<double>(), 0.08);
  size_t hit = 0;
  for (int64_t r : li["rows"]) hit += flipped.count(r);
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(flipped.size()), 0.5);  // recall
}

namespace {
// `n` rows of 4 Gaussian features and `classes` classes drawn with the given weight for class 0
// (the others share the rest evenly), independent of the features: no model can know better
// than any label.
nlohmann::json labels_independent_of_features(size_t n, size_t classes, double first_share, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  AnalysisData d;
  d.shape = TaskShape{true, classes};
  for (size_t c = 0; c < classes; ++c) d.class_names.push_back(std::to_string(c));
  d.x = Matrix{n, 4, std::vector<float>(n * 4)};
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < 4; ++j) d.x.at(i, j) = static_cast<float>(g(rng));
    const double r = u(rng);
    const size_t label = r < first_share ? 0 : 1 + std::min(classes - 2, static_cast<size_t>((r - first_share) / (1 - first_share) * static_cast<double>(classes - 1)));
    d.y.push_back(static_cast<float>(label));
    d.row_ids.push_back(static_cast<int64_t>(i));
  }
  return label_issues_of(d);
}
}  // namespace

// Labels that the features say nothing about: every row the model errs on looked mislabeled
// (a balanced binary target: about half of the rows; 100 classes: most of them), and the loop
// recommended relabeling them. Even the most confident decile is then no better than chance,
// and nothing is flagged: balanced, with a rare class (5%: chance there is the rare share),
// and with many classes.
TEST(LabelIssues, LabelsIndependentOfTheFeaturesAreNotFlagged) {
  for (auto [classes, share] : {std::pair<size_t, double>{2, 0.5}, {2, 0.05}, {20, 0.05}}) {
    nlohmann::json li = labels_independent_of_features(3000, classes, share, 21 + classes);
    SCOPED_TRACE(std::to_string(classes) + " classes: " + li["confident_decile"].dump());
    EXPECT_EQ(li["estimated_noise_rate"].get<double>(), 0.0);
    EXPECT_TRUE(li["rows"].empty());
    ASSERT_TRUE(li["unchecked"].is_string());
    EXPECT_NE(li["unchecked"].get<std::string>().find("better than chance"), std::string::npos);
  }
}

// With a signal, the check leaves confident learning alone: the flips planted on overlapping
// classes (above) are counted, and the clean table gets no `unchecked`.
TEST(LabelIssues, LabelsWithASignalAreChecked) {
  std::set<int64_t> flipped;
  EXPECT_TRUE(overlapping_classes(0.10, &flipped)["unchecked"].is_null());
  EXPECT_TRUE(overlapping_classes(0, &flipped)["unchecked"].is_null());
}

// With a deadline, out_of_fold_predictions does not start folds that cannot all finish before
// it, at what each fold so far cost: it gives up after the first, where it used to fit on to
// the deadline and be cut there (the loop's analyses then took all of their share for
// nothing). With time enough it fits every fold. Timed against one fold measured here (after a
// first, untimed call: its one-time costs made a fold look twice as dear as the next ones),
// with 10 folds and a deadline of 4 folds: all 10 cannot finish even if the measure
// overstates a fold twice, and giving up after the first is told from running to the
// deadline even if a fold under load costs twice the measure.
TEST(OutOfFold, FoldsThatCannotFinishBeforeTheDeadlineAreNotStarted) {
  const Planted p = make(20000, 0.5, 0, 9);
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 1;  // one thread: two OpenMP pools on two cores (ctest -j2) made fold times swing tenfold
  const Params params{{"early_stopping", 0}, {"rounds", 150}};
  using Clock = std::chrono::steady_clock;
  auto one = [&] {
    const auto t0 = Clock::now();
    out_of_fold_predictions(p.data.x, p.data.y, p.data.shape, "gbdt", params, registry, ctx, 10, 1);
    return Clock::now() - t0;
  };
  one();
  const auto one_fold = std::min(one(), one());
  ASSERT_GT(one_fold, std::chrono::milliseconds(20)) << "a fold too quick to time";

  const auto t0 = Clock::now();
  ctx.deadline = t0 + one_fold * 4;
  EXPECT_THROW(out_of_fold_predictions(p.data.x, p.data.y, p.data.shape, "gbdt", params, registry, ctx, 10), BudgetExhausted);
  const auto spent = Clock::now() - t0;
  EXPECT_LT(spent, one_fold * 2.5) << "gave up after " << std::chrono::duration<double>(spent).count() << " s, one fold "
                                   << std::chrono::duration<double>(one_fold).count() << " s";

  ctx.deadline = Clock::now() + one_fold * 40;
  std::vector<size_t> rows;
  out_of_fold_predictions(p.data.x, p.data.y, p.data.shape, "gbdt", params, registry, ctx, 5, 0, &rows);
  EXPECT_EQ(rows.size(), p.data.x.rows);
}
