// Regression label issues on synthetic targets with planted gross errors: the flagged rows
// must be mostly the planted ones, whether the noise is constant or grows with the target.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <sstream>

#include "mlloop/analyze/analyses.hpp"
#include "mlloop/core/context.hpp"

using namespace mlloop;

namespace {
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
  d.x_std = d.x;
  return p;
}

void expect_finds_the_planted(const Planted& p, double max_rate) {
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  nlohmann::json li = label_issues(p.data, registry, ctx);
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
  d.x_std = d.x;
  Registry registry;
  register_builtins(registry);
  std::ostringstream sink;
  Context ctx(sink, sink);
  ctx.threads = 2;
  nlohmann::json li = label_issues(d, registry, ctx);
  EXPECT_EQ(li["folds"], 3);
  EXPECT_NEAR(li["estimated_noise_rate"].get<double>(), 0.10, 0.02);
  size_t hit = 0;
  for (int64_t r : li["rows"]) hit += flipped.count(r);
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(li["rows"].size()), 0.8);  // precision
  EXPECT_GE(static_cast<double>(hit) / static_cast<double>(flipped.size()), 0.8);     // recall
}
