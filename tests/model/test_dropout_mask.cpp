// The mlp's dropout mask (include/mlloop/model/dropout_mask.hpp): kept with probability
// 1 - p, rescaled by 1 / (1 - p), neighbours independent, the same mask for the same seed.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mlloop/model/dropout_mask.hpp"

namespace mlloop {
namespace {

TEST(DropoutMask, KeepsOneMinusPRescaledAndIndependent) {
  const int64_t n = 400001;  // odd: the last element comes from a draw of its own
  for (double p : {0.05, 0.2, 0.5, 0.9}) {
    SCOPED_TRACE(p);
    std::vector<float> m(static_cast<size_t>(n), -1.0f);
    Xoshiro256Plus rng(11);
    fill_dropout_mask(m.data(), n, p, rng);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    int64_t kept = 0, both = 0, pairs = 0, first_half = 0;
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(m[i] == 0.0f || m[i] == scale) << "element " << i << " is " << m[i];
      kept += m[i] != 0;
      sum += m[i];
      if (i < n / 2) first_half += m[i] != 0;
      if (i + 1 < n && i % 2 == 0) {
        ++pairs;
        both += m[i] != 0 && m[i + 1] != 0;
      }
    }
    const double q = 1 - p, sd = std::sqrt(q * p / static_cast<double>(n));
    EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(n), q, 5 * sd);
    EXPECT_NEAR(sum / static_cast<double>(n), 1.0, 5 * sd * scale);  // the mean activation is kept
    EXPECT_NEAR(static_cast<double>(first_half) / static_cast<double>(n / 2), q, 5 * sd * std::sqrt(2.0));
    // The two halves of one 64-bit draw are independent: both kept with probability q^2.
    const double q2 = q * q, sd2 = std::sqrt(q2 * (1 - q2) / static_cast<double>(pairs));
    EXPECT_NEAR(static_cast<double>(both) / static_cast<double>(pairs), q2, 5 * sd2);
  }
}

TEST(DropoutMask, ZeroKeepsEverythingAndTheSeedFixesTheMask) {
  std::vector<float> a(1001), b(1001), c(1001);
  Xoshiro256Plus r0(3);
  fill_dropout_mask(a.data(), 1001, 0.0, r0);
  for (float v : a) ASSERT_EQ(v, 1.0f);
  Xoshiro256Plus r1(7), r2(7), r3(8);
  fill_dropout_mask(a.data(), 1001, 0.3, r1);
  fill_dropout_mask(b.data(), 1001, 0.3, r2);
  fill_dropout_mask(c.data(), 1001, 0.3, r3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  fill_dropout_mask(b.data(), 1001, 0.3, r2);  // the generator moves on: the next mask differs
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace mlloop
