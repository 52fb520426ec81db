#pragma once
// The mask of inverted dropout, drawn from a small seeded generator. The mlp plugin uses it
// without linking the core library (src/model/dropout_mask.cpp is compiled into the plugin
// and into the unit test), and the unit tests check it without libtorch.
//
// Why not torch::nn::Dropout: its CPU mask comes from bernoulli_, which draws one element at
// a time from the global mt19937 when libtorch is built without MKL, as Debian's is. That
// mask cost about 9 ns an element, half the time of an epoch at the mlp's default width and
// dropout. This one runs eight xoshiro256+ generators side by side, which the compiler turns
// into vector code (an AVX2 clone is picked at load time where the CPU has it): well under
// 1 ns an element.
#include <cstdint>

namespace mlloop {

// Eight independent xoshiro256+ generators (Blackman and Vigna), their 32 state words
// filled by splitmix64 from one seed, as its authors advise. Each step gives eight 64-bit
// draws; both 32-bit halves of a draw are used only as uniforms compared with a threshold,
// which xoshiro256+ serves well (its weak bits are the lowest few).
struct DropoutRng {
  static constexpr int kLanes = 8;
  explicit DropoutRng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);
  uint64_t s[4][kLanes];  // s[word][lane]
};

// Fills mask[0, n) for dropout probability p in [0, 1): each element is 1 / (1 - p) with
// probability 1 - p (kept and rescaled, so the mean activation is unchanged), else 0. The
// elements of one call come from consecutive steps of the generators; the same seed and the
// same sequence of calls give the same masks, on any CPU (integer arithmetic only).
void fill_dropout_mask(float* mask, int64_t n, double p, DropoutRng& rng);

// The same mask from the build's baseline instruction set only, whatever the CPU: what the
// default clone of fill_dropout_mask computes, for the test that both clones agree.
void fill_dropout_mask_portable(float* mask, int64_t n, double p, DropoutRng& rng);

}  // namespace mlloop
