#pragma once
// The mask of inverted dropout, drawn from a small seeded generator. Header-only: the mlp
// plugin uses it without linking the core library, and the unit tests check it without
// libtorch.
//
// Why not torch::nn::Dropout: its CPU mask comes from bernoulli_, which draws one element at
// a time from the global mt19937 when libtorch is built without MKL, as Debian's is. That
// mask cost about 9 ns an element, half the time of an epoch at the mlp's default width and
// dropout; this one costs about 1 ns.
#include <cmath>
#include <cstdint>

#include "mlloop/core/splitmix.hpp"

namespace mlloop {

// xoshiro256+ (Blackman and Vigna), its state filled by splitmix64 from one seed, as its
// authors advise. The top bits are the strong ones; both halves of a draw are used here only
// as 32-bit uniforms compared with a threshold, which xoshiro256+ serves well.
class Xoshiro256Plus {
 public:
  explicit Xoshiro256Plus(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed) {
    for (auto& v : s_) v = splitmix64(seed);
  }
  uint64_t operator()() {
    const uint64_t result = s_[0] + s_[3], t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = (s_[3] << 45) | (s_[3] >> 19);
    return result;
  }

 private:
  uint64_t s_[4];
};

// Fills mask[0, n) for dropout probability p in [0, 1): each element is 1 / (1 - p) with
// probability 1 - p (kept and rescaled, so the mean activation is unchanged), else 0.
inline void fill_dropout_mask(float* mask, int64_t n, double p, Xoshiro256Plus& rng) {
  // Kept when a 32-bit uniform draw is at or above p * 2^32.
  const auto threshold = static_cast<uint64_t>(std::ldexp(p, 32));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  int64_t i = 0;
  for (; i + 1 < n; i += 2) {
    const uint64_t r = rng();
    mask[i] = (r & 0xFFFFFFFFULL) >= threshold ? scale : 0.0f;
    mask[i + 1] = (r >> 32) >= threshold ? scale : 0.0f;
  }
  if (i < n) mask[i] = (rng() >> 32) >= threshold ? scale : 0.0f;
}

}  // namespace mlloop
