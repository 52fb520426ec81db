#pragma once
// splitmix64 (Steele, Lea and Flood; Vigna's constants): one 64-bit draw per call, advancing
// `state` by the golden-ratio increment. Header-only, for the mlp plugin too. Used as a fast
// seeded generator (the bootstrap's resampler) and to fill other generators' states from one
// seed (xoshiro's authors' advice).
#include <cstdint>

namespace mlloop {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace mlloop
