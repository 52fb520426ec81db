// knn: exact k nearest neighbours on standardized features; class votes or the mean of the
// neighbours' targets, uniform or weighted by inverse distance.
#include "mlloop/model/knn.hpp"
#include "mlloop/core/error.hpp"

#include <atomic>
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <thread>

#include "mlloop/core/context.hpp"

namespace mlloop {

Neighbours knn_search(const Matrix& points, const Matrix& queries, size_t k, bool exclude_self, int threads,
                      std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::atomic<bool> late{false};
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Index n = static_cast<Eigen::Index>(points.rows), d = static_cast<Eigen::Index>(points.cols);
  const size_t q = queries.rows;
  k = std::min<size_t>(k, points.rows - (exclude_self ? 1 : 0));
  Eigen::Map<const RowMat> P(points.data.data(), n, d);
  Eigen::VectorXf pn = P.rowwise().squaredNorm();
  Neighbours out;
  out.k = k;
  out.index.assign(q * k, -1);
  out.dist2.assign(q * k, 0.f);
  constexpr size_t kBlock = 256;
  auto work = [&](size_t first_block, size_t step) {
    RowMat dist(static_cast<Eigen::Index>(kBlock), n);  // reused: no page faults per block
    for (size_t b = first_block * kBlock; b < q; b += step * kBlock) {
      if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        late = true;
        return;
      }
      const Eigen::Index rows = static_cast<Eigen::Index>(std::min(kBlock, q - b));
      Eigen::Map<const RowMat> Q(queries.data.data() + b * queries.cols, rows, d);
      dist.topRows(rows).noalias() = -2.f * (Q * P.transpose());
      Eigen::VectorXf qn = Q.rowwise().squaredNorm();
      for (Eigen::Index i = 0; i < rows; ++i) {
        float* drow = dist.row(i).data();
        for (Eigen::Index j = 0; j < n; ++j) drow[j] = std::max(0.f, drow[j] + qn(i) + pn(j));
        if (exclude_self) drow[b + static_cast<size_t>(i)] = std::numeric_limits<float>::infinity();
        // Top k by a sorted insertion buffer: most candidates fail the first comparison.
        size_t have = 0;
        int64_t* idx = out.index.data() + (b + static_cast<size_t>(i)) * k;
        float* dst = out.dist2.data() + (b + static_cast<size_t>(i)) * k;
        for (Eigen::Index j = 0; j < n; ++j) {
          float dj = drow[j];
          if (have == k && !(dj < dst[k - 1])) continue;  // ties keep the lower index
          size_t pos = have < k ? have++ : k - 1;
          while (pos > 0 && dj < dst[pos - 1]) {
            dst[pos] = dst[pos - 1];
            idx[pos] = idx[pos - 1];
            --pos;
          }
          dst[pos] = dj;
          idx[pos] = j;
        }
      }
    }
  };
  const size_t nthreads = static_cast<size_t>(std::max(1, threads));
  if (nthreads == 1 || q <= kBlock) {
    work(0, 1);
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 1; t < nthreads; ++t) pool.emplace_back(work, t, nthreads);
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
      : shape_(shape), k_(static_cast<size_t>(p.at("k").get<int64_t>())), distance_weighted_(p.at("weights") == "distance") {}

  FitResult fit(const Matrix& x, const std::vector<float>& y, const std::vector<float>&, const Matrix*,
                const std::vector<float>*, const Context& ctx, const Deadline&) override {
    points_ = x;
    y_ = y;
    threads_ = ctx.threads;
    return {};
  }

  std::vector<float> predict(const Matrix& x) const override {
    Neighbours nb = knn_search(points_, x, k_, false, threads_);
    const size_t width = shape_.classification ? shape_.classes : 1;
    std::vector<float> out(x.rows * width, 0.f);
    for (size_t i = 0; i < x.rows; ++i) {
      double total = 0, value = 0;
      for (size_t t = 0; t < nb.k; ++t) {
        double w = distance_weighted_ ? 1.0 / (std::sqrt(nb.dist2[i * nb.k + t]) + 1e-6) : 1.0;
        float yv = y_[static_cast<size_t>(nb.index[i * nb.k + t])];
        if (shape_.classification) out[i * width + static_cast<size_t>(yv)] += static_cast<float>(w);
        else value += w * yv;
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
};

}  // namespace

Family knn_family() {
  Family f;
  f.name = "knn";
  f.description = "Exact k nearest neighbours (squared Euclidean on standardized features, blocked GEMM on Eigen).";
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
