// knn: exact k nearest neighbours on standardized features; class votes or the mean of the
// neighbours' targets, uniform or weighted by inverse distance.
#include "mlloop/model/knn.hpp"
#include "mlloop/core/error.hpp"

#include <atomic>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <numeric>
#include <thread>

#include "mlloop/core/context.hpp"
#include "mlloop/core/joined_thread.hpp"

namespace mlloop {

namespace {

using v8sf = float __attribute__((vector_size(32)));

// Squared distances of a block of queries (rows x d, row-major) to a tile of points given
// transposed (d rows of `width`, `stride` apart): dist[i * ld + j] = max(0, |q_i|^2 + |p_j|^2
// - 2 q_i . p_j). Register-blocked, 4 queries by 8 points, so each point coordinate is loaded
// once per 4 queries. This is the portable version: the distro's build targets plain
// x86-64.
void block_distances(const float* q, size_t rows, size_t d, const float* pt, size_t stride, size_t width,
                     const float* qn, const float* pn, float* dist, size_t ld) {
  const v8sf zero = {};
  size_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float *q0 = q + i * d, *q1 = q0 + d, *q2 = q1 + d, *q3 = q2 + d;
    size_t j = 0;
    for (; j + 8 <= width; j += 8) {
      v8sf a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      for (size_t t = 0; t < d; ++t) {
        v8sf p;
        std::memcpy(&p, pt + t * stride + j, sizeof p);
        a0 += q0[t] * p;
        a1 += q1[t] * p;
        a2 += q2[t] * p;
        a3 += q3[t] * p;
      }
      v8sf n;
      std::memcpy(&n, pn + j, sizeof n);
      v8sf* acc[4] = {&a0, &a1, &a2, &a3};
      for (size_t r = 0; r < 4; ++r) {
        v8sf v = (qn[i + r] + n) - 2.f * *acc[r];
        v = v > zero ? v : zero;
        std::memcpy(dist + (i + r) * ld + j, &v, sizeof v);
      }
    }
    for (; j < width; ++j)
      for (size_t r = 0; r < 4; ++r) {
        float a = 0.f;
        for (size_t t = 0; t < d; ++t) a += q[(i + r) * d + t] * pt[t * stride + j];
        dist[(i + r) * ld + j] = std::max(0.f, qn[i + r] + pn[j] - 2.f * a);
      }
  }
  for (; i < rows; ++i)
    for (size_t j = 0; j < width; ++j) {
      float a = 0.f;
      for (size_t t = 0; t < d; ++t) a += q[i * d + t] * pt[t * stride + j];
      dist[i * ld + j] = std::max(0.f, qn[i] + pn[j] - 2.f * a);
    }
}

size_t next_below(const float* row, size_t from, size_t width, float bound) {
  for (size_t j = from; j < width; ++j)
    if (row[j] < bound) return j;
  return width;
}

#if defined(__x86_64__)
// The same with AVX2 and FMA intrinsics, 4 queries by 16 points (8 accumulators, enough to
// hide the FMA latency), for the machines that have them.
__attribute__((target("avx2,fma"))) void block_distances_avx2(const float* q, size_t rows, size_t d, const float* pt,
                                                              size_t stride, size_t width, const float* qn,
                                                              const float* pn, float* dist, size_t ld) {
  const __m256 zero = _mm256_setzero_ps(), two = _mm256_set1_ps(2.f);
  size_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* qr[4] = {q + i * d, q + (i + 1) * d, q + (i + 2) * d, q + (i + 3) * d};
    size_t j = 0;
    for (; j + 16 <= width; j += 16) {
      __m256 a[4][2];
      for (auto& r : a) r[0] = r[1] = zero;
      for (size_t t = 0; t < d; ++t) {
        const __m256 p0 = _mm256_loadu_ps(pt + t * stride + j), p1 = _mm256_loadu_ps(pt + t * stride + j + 8);
        for (size_t r = 0; r < 4; ++r) {
          const __m256 s = _mm256_broadcast_ss(qr[r] + t);
          a[r][0] = _mm256_fmadd_ps(s, p0, a[r][0]);
          a[r][1] = _mm256_fmadd_ps(s, p1, a[r][1]);
        }
      }
      const __m256 n0 = _mm256_loadu_ps(pn + j), n1 = _mm256_loadu_ps(pn + j + 8);
      for (size_t r = 0; r < 4; ++r) {
        const __m256 s = _mm256_set1_ps(qn[i + r]);
        _mm256_storeu_ps(dist + (i + r) * ld + j,
                         _mm256_max_ps(zero, _mm256_fnmadd_ps(two, a[r][0], _mm256_add_ps(s, n0))));
        _mm256_storeu_ps(dist + (i + r) * ld + j + 8,
                         _mm256_max_ps(zero, _mm256_fnmadd_ps(two, a[r][1], _mm256_add_ps(s, n1))));
      }
    }
    if (j < width) block_distances(q + i * d, 4, d, pt + j, stride, width - j, qn + i, pn + j, dist + i * ld + j, ld);
  }
  if (i < rows) block_distances(q + i * d, rows - i, d, pt, stride, width, qn + i, pn, dist + i * ld, ld);
}

// The first j >= from with row[j] < bound, or width: 8 at a time, since after the first tiles
// few distances beat the k-th best so far.
__attribute__((target("avx2"))) size_t next_below_avx2(const float* row, size_t from, size_t width, float bound) {
  const __m256 b = _mm256_set1_ps(bound);
  size_t j = from;
  for (; j + 8 <= width; j += 8) {
    const int m = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(row + j), b, _CMP_LT_OQ));
    if (m) return j + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(m)));
  }
  for (; j < width; ++j)
    if (row[j] < bound) return j;
  return width;
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
constexpr bool kHasAvx2 = false;
void block_distances_avx2(const float* q, size_t rows, size_t d, const float* pt, size_t stride, size_t width,
                          const float* qn, const float* pn, float* dist, size_t ld) {
  block_distances(q, rows, d, pt, stride, width, qn, pn, dist, ld);
}
size_t next_below_avx2(const float* row, size_t from, size_t width, float bound) {
  return next_below(row, from, width, bound);
}
#endif

}  // namespace

Neighbours knn_search(const Matrix& points, const Matrix& queries, size_t k, bool exclude_self, int threads,
                      std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::atomic<bool> late{false};
  const size_t n = points.rows, d = points.cols, q = queries.rows;
  k = std::min<size_t>(k, points.rows - (exclude_self ? 1 : 0));
  Neighbours out;
  out.k = k;
  out.index.assign(q * k, -1);
  out.dist2.assign(q * k, 0.f);
  if (k == 0 || q == 0) return out;
  // The points transposed (d rows of n), and their squared norms.
  std::vector<float> pt(d * n), pn(n, 0.f);
  for (size_t j = 0; j < n; ++j)
    for (size_t t = 0; t < d; ++t) {
      const float v = points.data[j * d + t];
      pt[t * n + j] = v;
      pn[j] += v * v;
    }
  // Blocks of kBlock queries against tiles of kTile points: the block's distances to a tile
  // stay in cache for the top-k scan. (Distances of all queries to all points at once would
  // write and reread n floats per query.)
  constexpr size_t kTile = 1024, kBlock = 64;
  auto work = [&](size_t first_block, size_t step) {
    std::vector<float> dist(kBlock * kTile), qn(kBlock);
    std::vector<size_t> have(kBlock);
    for (size_t b = first_block * kBlock; b < q; b += step * kBlock) {
      if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        late = true;
        return;
      }
      const size_t rows = std::min(kBlock, q - b);
      const float* qb = queries.data.data() + b * d;
      for (size_t i = 0; i < rows; ++i) {
        qn[i] = 0.f;
        for (size_t t = 0; t < d; ++t) qn[i] += qb[i * d + t] * qb[i * d + t];
        have[i] = 0;
      }
      for (size_t j0 = 0; j0 < n; j0 += kTile) {
        const size_t width = std::min(kTile, n - j0);
        (kHasAvx2 ? block_distances_avx2 : block_distances)(qb, rows, d, pt.data() + j0, n, width, qn.data(),
                                                            pn.data() + j0, dist.data(), kTile);
        for (size_t i = 0; i < rows; ++i) {
          const size_t qi = b + i;
          float* drow = dist.data() + i * kTile;
          if (exclude_self && qi >= j0 && qi < j0 + width) drow[qi - j0] = std::numeric_limits<float>::infinity();
          // Top k by a sorted insertion buffer: most candidates fail the first comparison.
          int64_t* idx = out.index.data() + qi * k;
          float* dst = out.dist2.data() + qi * k;
          size_t& h = have[i];
          for (size_t j = 0; j < width; ++j) {
            if (h == k) {  // skip to the next distance that beats the k-th best (ties keep the lower index)
              j = (kHasAvx2 ? next_below_avx2 : next_below)(drow, j, width, dst[k - 1]);
              if (j == width) break;
            }
            const float dj = drow[j];
            size_t pos = h < k ? h++ : k - 1;
            while (pos > 0 && dj < dst[pos - 1]) {
              dst[pos] = dst[pos - 1];
              idx[pos] = idx[pos - 1];
              --pos;
            }
            dst[pos] = dj;
            idx[pos] = static_cast<int64_t>(j0 + j);
          }
        }
      }
    }
  };
  const size_t nthreads = static_cast<size_t>(std::max(1, threads));
  if (nthreads == 1 || q <= kBlock) {
    work(0, 1);
  } else {
    std::deque<JoinedThread> pool;
    for (size_t t = 1; t < nthreads; ++t) pool.emplace_back([&work, t, nthreads] { work(t, nthreads); });
    work(0, nthreads);
    for (auto& th : pool) th.join();
  }
  if (late) throw BudgetExhausted();
  return out;
}

namespace {

class Knn final : public Model {
 public:
  Knn(const Params& p, TaskShape shape)
      : shape_(shape),
        k_(static_cast<size_t>(p.at("k").get<int64_t>())),
        distance_weighted_(p.at("weights") == "distance") {}

  FitResult fit(const Matrix& x, const std::vector<float>& y, const std::vector<float>&, const Matrix*,
                const std::vector<float>*, const Context& ctx, const Deadline& deadline) override {
    points_ = x;
    y_ = y;
    threads_ = ctx.threads;
    deadline_ = deadline.at;
    return {};
  }

  // All of knn's work is here: on 240,000 rows, predicting the training rows takes tens of
  // seconds. Within the fit's deadline (the loop's time budget) it stops between blocks of
  // queries and throws BudgetExhausted; a model loaded from its artifact has none.
  std::vector<float> predict(const Matrix& x) const override {
    Neighbours nb = knn_search(points_, x, k_, false, threads_, deadline_);
    const size_t width = shape_.classification ? shape_.classes : 1;
    std::vector<float> out(x.rows * width, 0.f);
    for (size_t i = 0; i < x.rows; ++i) {
      double total = 0, value = 0;
      for (size_t t = 0; t < nb.k; ++t) {
        double w = distance_weighted_ ? 1.0 / (std::sqrt(nb.dist2[i * nb.k + t]) + 1e-6) : 1.0;
        float yv = y_[static_cast<size_t>(nb.index[i * nb.k + t])];
        if (shape_.classification)
          out[i * width + static_cast<size_t>(yv)] += static_cast<float>(w);
        else
          value += w * yv;
        total += w;
      }
      if (shape_.classification) {
        for (size_t c = 0; c < width; ++c) out[i * width + c] = static_cast<float>(out[i * width + c] / total);
      } else {
        out[i] = static_cast<float>(value / total);
      }
    }
    return out;
  }

  std::string save() const override {
    std::string s;
    auto put = [&](const void* p, size_t n) { s.append(static_cast<const char*>(p), n); };
    uint64_t rows = points_.rows, cols = points_.cols;
    put(&rows, 8);
    put(&cols, 8);
    put(points_.data.data(), points_.data.size() * sizeof(float));
    put(y_.data(), y_.size() * sizeof(float));
    return s;
  }
  void load(const std::string& s) override {
    uint64_t rows, cols;
    std::memcpy(&rows, s.data(), 8);
    std::memcpy(&cols, s.data() + 8, 8);
    points_.rows = rows;
    points_.cols = cols;
    points_.data.resize(rows * cols);
    std::memcpy(points_.data.data(), s.data() + 16, rows * cols * sizeof(float));
    y_.resize(rows);
    std::memcpy(y_.data(), s.data() + 16 + rows * cols * sizeof(float), rows * sizeof(float));
    threads_ = 2;
  }

 private:
  TaskShape shape_;
  size_t k_;
  bool distance_weighted_;
  Matrix points_;
  std::vector<float> y_;
  int threads_ = 2;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace

Family knn_family() {
  Family f;
  f.name = "knn";
  f.description = "Exact k nearest neighbours (squared Euclidean on standardized features, tiled distance kernel).";
  f.params = {{"k", ParamSpec::Kind::integer, 15, 1, 1000, {}, "number of neighbours", true},
              {"weights", ParamSpec::Kind::choice, "uniform", 0, 0, {"uniform", "distance"}, "vote weights", false}};
  f.standardize = true;
  f.create = [](const Params& p, const TaskShape& s) { return std::make_unique<Knn>(p, s); };
  // Fewer neighbours bend more (up); more neighbours smooth (down).
  f.step_up = [](const Params& p) -> std::optional<Params> {
    int64_t k = p.at("k");
    if (k <= 1) return std::nullopt;
    Params q = p;
    q["k"] = std::max<int64_t>(1, k / 2);
    return q;
  };
  f.step_down = [](const Params& p) -> std::optional<Params> {
    int64_t k = p.at("k");
    if (k >= 500) return std::nullopt;
    Params q = p;
    q["k"] = k * 2;
    return q;
  };
  return f;
}

}  // namespace mlloop
