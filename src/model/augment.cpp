// Training-data augmentation for the `augment` remedy: noisy copies of the rows, and
// SMOTE-style oversampling of minority classes. Both act on the matrix the model fits on,
// after preprocessing, and never on train-dev or dev.
#include "mlloop/model/augment.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace mlloop {

namespace {
void append_row(Matrix& x, const float* row) { x.data.insert(x.data.end(), row, row + x.cols); ++x.rows; }
}  // namespace

void add_noise_copies(Matrix& x, std::vector<float>& y, std::vector<float>& w, double sigma, int copies, uint64_t seed) {
  if (copies <= 0 || sigma <= 0 || x.rows == 0) return;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.f, static_cast<float>(sigma));
  const size_t n = x.rows;
  x.data.reserve(x.data.size() * static_cast<size_t>(copies + 1));
  std::vector<float> row(x.cols);
  for (int c = 0; c < copies; ++c) {
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < x.cols; ++j) row[j] = x.at(i, j) + noise(rng);
      append_row(x, row.data());
      y.push_back(y[i]);
      if (!w.empty()) w.push_back(w[i]);
    }
  }
}

size_t oversample_minority(Matrix& x, std::vector<float>& y, std::vector<float>& w, bool interpolate, uint64_t seed) {
  std::map<int, std::vector<size_t>> by_class;
  for (size_t i = 0; i < y.size(); ++i)
    if (!std::isnan(y[i])) by_class[static_cast<int>(y[i])].push_back(i);
  size_t largest = 0;
  for (const auto& [k, rows] : by_class) largest = std::max(largest, rows.size());
  std::mt19937_64 rng(seed);
  size_t added = 0;
  std::vector<float> row(x.cols);
  for (const auto& [k, rows] : by_class) {
    if (rows.size() < 2 || rows.size() * 10 >= largest * 9) continue;  // within 10% of the largest: leave it
    const size_t want = std::min(largest - rows.size(), rows.size() * 4);
    std::uniform_int_distribution<size_t> pick(0, rows.size() - 1);
    for (size_t s = 0; s < want; ++s) {
      const size_t a = rows[pick(rng)];
      if (interpolate) {
        // Interpolate towards one of the 5 nearest same-class rows among a sample of 64.
        std::vector<std::pair<double, size_t>> near;
        for (int t = 0; t < 64; ++t) {
          size_t b = rows[pick(rng)];
          if (b == a) continue;
          double d = 0;
          for (size_t j = 0; j < x.cols; ++j) {
            double v = x.at(a, j) - x.at(b, j);
            d += v * v;
          }
          near.emplace_back(d, b);
        }
        if (near.empty()) continue;
        const size_t top = std::min<size_t>(5, near.size());
        std::partial_sort(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(top), near.end());
        const size_t b = near[std::uniform_int_distribution<size_t>(0, top - 1)(rng)].second;
        const float u = std::uniform_real_distribution<float>(0.f, 1.f)(rng);
        for (size_t j = 0; j < x.cols; ++j) row[j] = x.at(a, j) + u * (x.at(b, j) - x.at(a, j));
      } else {
        std::copy_n(x.row(a), x.cols, row.data());
      }
      append_row(x, row.data());
      y.push_back(static_cast<float>(k));
      if (!w.empty()) w.push_back(w[a]);
      ++added;
    }
  }
  return added;
}

}  // namespace mlloop
