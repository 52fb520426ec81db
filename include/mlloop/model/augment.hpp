// Training-data augmentation (the `augment` remedy), applied after preprocessing to the rows
// a model fits on. Seeded.
#pragma once
#include <cstdint>
#include <vector>

#include "mlloop/model/model.hpp"

namespace mlloop {

// Appends `copies` copies of every row with N(0, sigma^2) noise on each feature.
void add_noise_copies(Matrix& x, std::vector<float>& y, std::vector<float>& w, double sigma, int copies, uint64_t seed);

// Oversamples classes smaller than 90% of the largest, up to its size (at most 5x their own):
// SMOTE-style interpolation between a row and one of its near same-class rows when
// `interpolate` (standardized features), plain duplication otherwise (trees: codes must stay
// whole). Returns the number of rows added.
size_t oversample_minority(Matrix& x, std::vector<float>& y, std::vector<float>& w, bool interpolate, uint64_t seed);

}  // namespace mlloop
