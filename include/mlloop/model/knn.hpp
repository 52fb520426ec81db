// Exact k-nearest-neighbour search (squared Euclidean), by tiles of distances fused with the top-k scan.
// The knn family uses it, and so will the analysis for its Bayes-error bounds.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "mlloop/model/model.hpp"

namespace mlloop {

struct Neighbours {
  size_t k = 0;
  std::vector<int64_t> index;  // queries x k, nearest first
  std::vector<float> dist2;    // squared distances
};

// For each row of `queries`, the k nearest rows of `points`. With `exclude_self`, queries
// are the points themselves and each row's own index is skipped (leave-one-out).
// With a `deadline`, the search checks it between blocks and throws BudgetExhausted once it
// has passed.
Neighbours knn_search(const Matrix& points, const Matrix& queries, size_t k, bool exclude_self, int threads,
                      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

}  // namespace mlloop
