#include "mlloop/model/dropout_mask.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mlloop/core/splitmix.hpp"

namespace mlloop {

void DropoutRng::reseed(uint64_t seed) {
  for (auto& word : s)
    for (auto& v : word) v = splitmix64(seed);
}

namespace {
constexpr int kLanes = DropoutRng::kLanes;
constexpr int kPerStep = 2 * kLanes;  // mask elements per step: two halves of each lane's draw

// GCC/Clang vector extensions: four lanes to a value, the width of an AVX2 register (SSE2
// code uses two registers for one); two values make the eight lanes.
typedef uint64_t U64x4 __attribute__((vector_size(32)));
typedef uint32_t U32x8 __attribute__((vector_size(32)));
constexpr int kGroups = kLanes / 4;

// One step of the eight generators. Lane j's draw gives out[2j] and out[2j + 1], from its low
// and high halves (the byte order of x86-64), each kept (scale) or dropped (0) against the
// threshold.
inline void step(U64x4 (&s)[4][kGroups], const U32x8& threshold, const U32x8& scale_bits, float* out) {
  for (int g = 0; g < kGroups; ++g) {
    const U64x4 r = s[0][g] + s[3][g], t = s[1][g] << 17;
    s[2][g] ^= s[0][g];
    s[3][g] ^= s[1][g];
    s[1][g] ^= s[2][g];
    s[0][g] ^= s[3][g];
    s[2][g] ^= t;
    s[3][g] = (s[3][g] << 45) | (s[3][g] >> 19);
    const U32x8 kept = reinterpret_cast<U32x8>(reinterpret_cast<U32x8>(r) >= threshold) & scale_bits;
    std::memcpy(out + 8 * g, &kept, sizeof kept);
  }
}

// The body of both entry points below: inlined into each, so that each clone compiles it
// for its own instruction set.
__attribute__((always_inline)) inline void fill(float* mask, int64_t n, double p, DropoutRng& rng) {
  // Kept when a 32-bit uniform draw is at or above p * 2^32 (below 2^32: p < 1).
  const auto threshold = static_cast<uint32_t>(std::min(std::ldexp(p, 32), 4294967295.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  uint32_t scale_bits;
  std::memcpy(&scale_bits, &scale, sizeof scale);
  const U32x8 thr = threshold - U32x8{}, sb = scale_bits - U32x8{};  // broadcast
  U64x4 s[4][kGroups];  // a local copy, kept in registers
  std::memcpy(s, rng.s, sizeof s);
  int64_t i = 0;
  for (; i + kPerStep <= n; i += kPerStep) step(s, thr, sb, mask + i);
  if (i < n) {
    float tail[kPerStep];
    step(s, thr, sb, tail);
    for (int64_t k = 0; i + k < n; ++k) mask[i + k] = tail[k];
  }
  std::memcpy(rng.s, s, sizeof s);
}
}  // namespace

// The AVX2 clone does four lanes per instruction; the default one is plain x86-64 (SSE2).
// Both compute the same integers, so the masks do not depend on which one runs.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void fill_dropout_mask(float* mask, int64_t n, double p, DropoutRng& rng) {
  fill(mask, n, p, rng);
}

void fill_dropout_mask_portable(float* mask, int64_t n, double p, DropoutRng& rng) { fill(mask, n, p, rng); }

}  // namespace mlloop
