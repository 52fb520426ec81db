// The mlp's dropout mask (include/mlloop/model/dropout_mask.hpp): kept with probability
// 1 - p, rescaled by 1 / (1 - p), neighbours independent, the same mask for the same seed,
// and exactly the draws of eight plain xoshiro256+ generators (whichever clone runs).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mlloop/core/splitmix.hpp"
#include "mlloop/model/dropout_mask.hpp"

namespace mlloop {
namespace {

constexpr int kLanes = DropoutRng::kLanes;

TEST(DropoutMask, KeepsOneMinusPRescaledAndIndependent) {
  const int64_t n = 400001;  // not a multiple of 16: the tail comes from a step of its own
  for (double p : {0.05, 0.2, 0.5, 0.9}) {
    SCOPED_TRACE(p);
    std::vector<float> m(static_cast<size_t>(n), -1.0f);
    DropoutRng rng(11);
    fill_dropout_mask(m.data(), n, p, rng);
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    int64_t kept = 0, both_next = 0, both_halves = 0, pairs = 0, halves = 0, first_half = 0;
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_TRUE(m[i] == 0.0f || m[i] == scale) << "element " << i << " is " << m[i];
      kept += m[i] != 0;
      sum += m[i];
      if (i < n / 2) first_half += m[i] != 0;
      if (i + 1 < n && i % 2 == 1) {  // neighbours from two lanes
        ++pairs;
        both_next += m[i] != 0 && m[i + 1] != 0;
      }
      if (i + 1 < n && i % 2 == 0) {  // neighbours from the two halves of one lane's draw
        ++halves;
        both_halves += m[i] != 0 && m[i + 1] != 0;
      }
    }
    const double q = 1 - p, sd = std::sqrt(q * p / static_cast<double>(n));
    EXPECT_NEAR(static_cast<double>(kept) / static_cast<double>(n), q, 5 * sd);
    EXPECT_NEAR(sum / static_cast<double>(n), 1.0, 5 * sd * scale);  // the mean activation is kept
    EXPECT_NEAR(static_cast<double>(first_half) / static_cast<double>(n / 2), q, 5 * sd * std::sqrt(2.0));
    // Both kept with probability q^2, for neighbours and for the halves of one draw.
    const double q2 = q * q;
    EXPECT_NEAR(static_cast<double>(both_next) / static_cast<double>(pairs), q2, 5 * std::sqrt(q2 * (1 - q2) / static_cast<double>(pairs)));
    EXPECT_NEAR(static_cast<double>(both_halves) / static_cast<double>(halves), q2, 5 * std::sqrt(q2 * (1 - q2) / static_cast<double>(halves)));
  }
}

TEST(DropoutMask, ZeroKeepsEverythingAndTheSeedFixesTheMask) {
  std::vector<float> a(1001), b(1001), c(1001);
  DropoutRng r0(3);
  fill_dropout_mask(a.data(), 1001, 0.0, r0);
  for (float v : a) ASSERT_EQ(v, 1.0f);
  DropoutRng r1(7), r2(7), r3(8);
  fill_dropout_mask(a.data(), 1001, 0.3, r1);
  fill_dropout_mask(b.data(), 1001, 0.3, r2);
  fill_dropout_mask(c.data(), 1001, 0.3, r3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  fill_dropout_mask(b.data(), 1001, 0.3, r2);  // the generator moves on: the next mask differs
  EXPECT_NE(a, b);
}

// A plain xoshiro256+ per lane, one draw at a time: what the (vectorized) mask must equal.
struct Reference {
  uint64_t s[4][kLanes];
  explicit Reference(uint64_t seed) {
    for (auto& word : s)
      for (auto& v : word) v = splitmix64(seed);
  }
  uint64_t next(int j) {
    uint64_t x[4] = {s[0][j], s[1][j], s[2][j], s[3][j]};
    const uint64_t r = x[0] + x[3], t = x[1] << 17;
    x[2] ^= x[0];
    x[3] ^= x[1];
    x[1] ^= x[2];
    x[0] ^= x[3];
    x[2] ^= t;
    x[3] = (x[3] << 45) | (x[3] >> 19);
    for (int w = 0; w < 4; ++w) s[w][j] = x[w];
    return r;
  }
};

using FillFn = void (*)(float*, int64_t, double, DropoutRng&);

// Both entry points: the one the CPU picks (AVX2 where it has it) and the baseline one.
class DropoutMaskClones : public ::testing::TestWithParam<FillFn> {};
INSTANTIATE_TEST_SUITE_P(Both, DropoutMaskClones, ::testing::Values(&fill_dropout_mask, &fill_dropout_mask_portable));

TEST_P(DropoutMaskClones, EqualsEightPlainGeneratorsAcrossCalls) {
  const FillFn fill = GetParam();
  const double p = 0.37;
  const auto threshold = static_cast<uint64_t>(std::ldexp(p, 32));  // as a 64-bit compare: no narrowing to hide
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  Reference ref(42);
  DropoutRng rng(42);
  // Calls of 16k, 16k + tail and short lengths: each call starts a fresh step.
  for (int64_t n : {64, 37, 5, 16, 1000}) {
    SCOPED_TRACE(n);
    std::vector<float> got(static_cast<size_t>(n));
    fill(got.data(), n, p, rng);
    for (int64_t base = 0; base < n; base += 2 * kLanes)
      for (int j = 0; j < kLanes; ++j) {
        const uint64_t r = ref.next(j);
        if (base + 2 * j < n) {
          ASSERT_EQ(got[base + 2 * j], (r & 0xFFFFFFFFULL) >= threshold ? scale : 0.0f) << base + 2 * j;
        }
        if (base + 2 * j + 1 < n) {
          ASSERT_EQ(got[base + 2 * j + 1], (r >> 32) >= threshold ? scale : 0.0f) << base + 2 * j + 1;
        }
      }
  }
}

}  // namespace
}  // namespace mlloop
