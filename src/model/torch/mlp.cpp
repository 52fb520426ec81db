// mlp: a multilayer perceptron with the libtorch C++ frontend. Hidden layers of equal width
// (Linear, optional BatchNorm, activation, optional Dropout), a softmax head with one output
// per class (cross-entropy) or one linear output on a standardized target (MSE). Mini-batch
// training with SGD / Adam / AdamW, a learning-rate schedule, early stopping on the valid
// slice, and divergence detection that ends a run with status "diverged" instead of NaNs.
//
// All libtorch includes stay in this file (and flat_optimizer.hpp, which only this file and
// its unit test include): its headers are slow to compile.
#include <torch/torch.h>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <numbers>
#include <numeric>
#include <random>
#include <sstream>

#include "mlloop/core/context.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/model/dropout_mask.hpp"
#include "mlloop/model/model.hpp"
#include "flat_optimizer.hpp"

namespace mlloop {
namespace {

constexpr int64_t kMaxWidth = 2048, kMinWidth = 4, kMaxDepth = 8, kMinDepth = 1;
constexpr double kDefaultLr = 3e-3;
// A loss this many times the first batch's loss (the loss of the untrained network) counts
// as exploding: over a whole epoch, or over this many batches in a row (one batch alone may
// hold an outlier of a heavy-tailed target).
constexpr double kExplodeFactor = 1e3;
constexpr int kExplodeBatches = 3;
constexpr int64_t kPredictChunk = 65536;
constexpr const char* kMagic = "mlloop-mlp-v1";

struct MlpConfig {
  int64_t depth, width;
  std::string activation;
  double dropout;
  bool batch_norm;
  std::string optimizer;
  double lr, momentum, weight_decay;
  bool nesterov;
  std::string schedule;
  int64_t batch_size, epochs, patience;
  std::string init;

  explicit MlpConfig(const Params& p)
      : depth(p.at("depth").get<int64_t>()),
        width(p.at("width").get<int64_t>()),
        activation(p.at("activation").get<std::string>()),
        dropout(p.at("dropout").get<double>()),
        batch_norm(p.at("batch_norm").get<bool>()),
        optimizer(p.at("optimizer").get<std::string>()),
        lr(p.at("lr").get<double>()),
        momentum(p.at("momentum").get<double>()),
        weight_decay(p.at("weight_decay").get<double>()),
        nesterov(p.at("nesterov").get<bool>()),
        schedule(p.at("schedule").get<std::string>()),
        batch_size(p.at("batch_size").get<int64_t>()),
        epochs(p.at("epochs").get<int64_t>()),
        patience(p.at("patience").get<int64_t>()),
        init(p.at("init").get<std::string>()) {}
};

// Inverted dropout with its own seeded generator (see dropout_mask.hpp for why not
// torch::nn::Dropout). No parameters or buffers, so a saved network has the same archive as
// with torch::nn::Dropout.
class FastDropoutImpl : public torch::nn::Module {
 public:
  explicit FastDropoutImpl(double p) : p_(p) {}
  void seed(uint64_t s) { rng_.reseed(s); }
  torch::Tensor forward(const torch::Tensor& x) {
    if (!is_training() || p_ <= 0) return x;
    torch::Tensor mask = torch::empty(x.sizes(), torch::kFloat32);
    fill_dropout_mask(mask.data_ptr<float>(), mask.numel(), p_, rng_);
    return x * mask;
  }

 private:
  double p_;
  DropoutRng rng_;
};
TORCH_MODULE(FastDropout);

// A copy of the learned state (parameters and buffers, such as BatchNorm running stats).
using Snapshot = std::vector<torch::Tensor>;

Snapshot take_snapshot(const torch::nn::Sequential& net) {
  torch::NoGradGuard guard;
  Snapshot s;
  for (const auto& p : net->parameters()) s.push_back(p.detach().clone());
  for (const auto& b : net->buffers()) s.push_back(b.detach().clone());
  return s;
}

void restore_snapshot(torch::nn::Sequential& net, const Snapshot& s) {
  torch::NoGradGuard guard;
  size_t i = 0;
  for (auto& p : net->parameters()) p.copy_(s[i++]);
  for (auto& b : net->buffers()) b.copy_(s[i++]);
}

// A tensor view of a Matrix (no copy: the tensor must not outlive the matrix or be written).
torch::Tensor as_tensor(const Matrix& m) {
  return torch::from_blob(const_cast<float*>(m.data.data()),
                          {static_cast<int64_t>(m.rows), static_cast<int64_t>(m.cols)}, torch::kFloat32);
}

std::string format_loss(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.4g}", v);
}

class Mlp final : public Model {
 public:
  Mlp(const Params& p, TaskShape shape) : cfg_(p), shape_(shape) {
    MLLOOP_ASSERT(!shape_.classification || shape_.classes >= 2);
  }

  FitResult fit(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, const Matrix* valid_x,
                const std::vector<float>* valid_y, const Context& ctx, const Deadline& deadline) override {
    try {
      return fit_impl(x, y, w, valid_x, valid_y, ctx, deadline);
    } catch (const c10::Error& e) {
      FitResult r;
      r.status = "failed";
      r.reason = fmt::format("libtorch failed: {}", e.what_without_backtrace());
      return r;
    } catch (const std::bad_alloc&) {
      FitResult r;
      r.status = "failed";
      r.reason =
          fmt::format("out of memory (width {}, depth {}, batch_size {})", cfg_.width, cfg_.depth, cfg_.batch_size);
      return r;
    }
  }

  std::vector<float> predict(const Matrix& x) const override {
    MLLOOP_ASSERT(!net_.is_empty());
    MLLOOP_ASSERT(x.cols == static_cast<size_t>(in_dim_));
    torch::NoGradGuard guard;
    net_->eval();
    const int64_t n = static_cast<int64_t>(x.rows), k = out_dim();
    std::vector<float> out(static_cast<size_t>(n * k));
    if (n == 0) return out;
    torch::Tensor xt = as_tensor(x);
    for (int64_t start = 0; start < n; start += kPredictChunk) {
      int64_t len = std::min(kPredictChunk, n - start);
      torch::Tensor o = net_->forward(xt.narrow(0, start, len));
      if (shape_.classification)
        o = torch::softmax(o, 1);
      else
        o = o.reshape({len}).to(torch::kFloat64).mul(target_.scale).add(target_.center).to(torch::kFloat32);
      o = o.contiguous();
      std::memcpy(out.data() + start * k, o.data_ptr<float>(), static_cast<size_t>(len * k) * sizeof(float));
    }
    return out;
  }

  // A JSON header line (input dimension, target scaling), then a libtorch archive of the
  // parameters and buffers.
  std::string save() const override {
    MLLOOP_ASSERT(!net_.is_empty());
    nlohmann::json header{
        {"format", kMagic}, {"in_dim", in_dim_}, {"out_dim", out_dim()}, {"y_mean", target_.center}, {"y_std", target_.scale}};
    std::ostringstream os(std::ios::binary);
    os << header.dump() << '\n';
    torch::serialize::OutputArchive archive;
    net_->save(archive);
    archive.save_to(os);
    return os.str();
  }

  void load(const std::string& bytes) override {
    size_t nl = bytes.find('\n');
    MLLOOP_ASSERT(nl != std::string::npos);
    auto header = nlohmann::json::parse(bytes.substr(0, nl));
    MLLOOP_ASSERT(header.at("format") == kMagic);
    MLLOOP_ASSERT(header.at("out_dim").get<int64_t>() == out_dim());
    {
      std::lock_guard<std::mutex> g(global_generator_lock());  // build draws from it (see fit)
      build(header.at("in_dim").get<int64_t>());
    }
    target_.center = header.at("y_mean").get<double>();
    target_.scale = header.at("y_std").get<double>();
    std::istringstream is(bytes.substr(nl + 1), std::ios::binary);
    torch::serialize::InputArchive archive;
    archive.load_from(is);
    net_->load(archive);
    net_->eval();
  }

 private:
  static std::mutex& global_generator_lock() {
    static std::mutex m;
    return m;
  }
  int64_t out_dim() const { return shape_.classification ? static_cast<int64_t>(shape_.classes) : 1; }

  void build(int64_t in_dim) {
    in_dim_ = in_dim;
    net_ = torch::nn::Sequential();
    dropouts_.clear();
    int64_t prev = in_dim;
    std::vector<torch::nn::Linear> linears;
    for (int64_t l = 0; l < cfg_.depth; ++l) {
      torch::nn::Linear lin(prev, cfg_.width);
      linears.push_back(lin);
      net_->push_back(lin);
      if (cfg_.batch_norm) net_->push_back(torch::nn::BatchNorm1d(cfg_.width));
      if (cfg_.activation == "relu")
        net_->push_back(torch::nn::ReLU());
      else if (cfg_.activation == "tanh")
        net_->push_back(torch::nn::Tanh());
      else
        net_->push_back(torch::nn::GELU());
      if (cfg_.dropout > 0) {
        dropouts_.emplace_back(cfg_.dropout);
        net_->push_back(dropouts_.back());
      }
      prev = cfg_.width;
    }
    torch::nn::Linear head(prev, out_dim());
    linears.push_back(head);
    net_->push_back(head);
    if (cfg_.init == "default") return;
    torch::NoGradGuard guard;
    const bool tanh = cfg_.activation == "tanh";
    for (size_t i = 0; i < linears.size(); ++i) {
      const bool is_head = i + 1 == linears.size();
      auto& weight = linears[i]->weight;
      if (cfg_.init == "xavier_uniform") {
        torch::nn::init::xavier_uniform_(weight, is_head || !tanh ? 1.0 : 5.0 / 3.0);
      } else if (cfg_.init == "kaiming_normal") {
        if (is_head)
          torch::nn::init::kaiming_normal_(weight, 0, torch::kFanIn, torch::kLinear);
        else if (tanh)
          torch::nn::init::kaiming_normal_(weight, 0, torch::kFanIn, torch::kTanh);
        else
          torch::nn::init::kaiming_normal_(weight, 0, torch::kFanIn, torch::kReLU);
      } else {
        torch::nn::init::orthogonal_(weight, is_head ? 1.0 : (tanh ? 5.0 / 3.0 : std::sqrt(2.0)));
      }
      torch::nn::init::zeros_(linears[i]->bias);
    }
  }

  double lr_at(int64_t epoch) const {
    if (cfg_.schedule == "cosine")
      return cfg_.lr * 0.5 *
             (1 + std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(cfg_.epochs)));
    if (cfg_.schedule == "step") {
      // Divided by 10 at half and again at three quarters of the epochs.
      double f = 1;
      if (2 * epoch >= cfg_.epochs) f *= 0.1;
      if (4 * epoch >= 3 * cfg_.epochs) f *= 0.1;
      return cfg_.lr * f;
    }
    return cfg_.lr;
  }

  // Per-row losses: cross-entropy on class indices, or squared error on the standardized target.
  torch::Tensor row_losses(const torch::Tensor& out, const torch::Tensor& target) const {
    namespace F = torch::nn::functional;
    if (shape_.classification)
      return F::cross_entropy(out, target, F::CrossEntropyFuncOptions().reduction(torch::kNone));
    return (out.reshape({-1}) - target).pow(2);
  }

  torch::Tensor make_target(const std::vector<float>& y) const {
    const int64_t n = static_cast<int64_t>(y.size());
    if (shape_.classification) {
      std::vector<int64_t> c(y.size());
      for (size_t i = 0; i < y.size(); ++i) c[i] = static_cast<int64_t>(y[i]);
      return torch::from_blob(c.data(), {n}, torch::kInt64).clone();
    }
    std::vector<float> s = target_.to_fit(y);
    return torch::from_blob(s.data(), {n}, torch::kFloat32).clone();
  }

  std::string check_labels(const std::vector<float>& y, const char* what) const {
    if (!shape_.classification) {
      for (size_t i = 0; i < y.size(); ++i)
        if (!std::isfinite(y[i])) return fmt::format("{} target at row {} is not finite", what, i);
      return {};
    }
    for (size_t i = 0; i < y.size(); ++i) {
      float v = y[i];
      if (!(v >= 0) || v != std::floor(v) || v >= static_cast<float>(shape_.classes))
        return fmt::format("{} label at row {} is {}, not a class index in 0..{}", what, i, v, shape_.classes - 1);
    }
    return {};
  }

  double valid_loss(const torch::Tensor& vx, const torch::Tensor& vy) {
    torch::NoGradGuard guard;
    net_->eval();
    const int64_t n = vx.size(0);
    double sum = 0;
    for (int64_t start = 0; start < n; start += kPredictChunk) {
      int64_t len = std::min(kPredictChunk, n - start);
      sum += row_losses(net_->forward(vx.narrow(0, start, len)), vy.narrow(0, start, len)).sum().item<double>();
    }
    net_->train();
    return sum / static_cast<double>(n);
  }

  FitResult fit_impl(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, const Matrix* valid_x,
                     const std::vector<float>* valid_y, const Context& ctx, const Deadline& deadline) {
    FitResult r;
    MLLOOP_ASSERT(y.size() == x.rows);
    MLLOOP_ASSERT(w.empty() || w.size() == x.rows);
    const bool has_valid = valid_x && valid_y && valid_x->rows > 0;
    if (has_valid) MLLOOP_ASSERT(valid_y->size() == valid_x->rows && valid_x->cols == x.cols);
    auto fail = [&](std::string why) {
      r.status = "failed";
      r.reason = std::move(why);
      return r;
    };
    if (x.rows == 0) return fail("no training rows");
    if (cfg_.batch_norm && x.rows < 2) return fail("batch_norm needs at least 2 training rows");
    if (auto bad = check_labels(y, "training"); !bad.empty()) return fail(bad);
    if (has_valid)
      if (auto bad = check_labels(*valid_y, "valid"); !bad.empty()) return fail(bad);

    // One thread, whatever ctx.threads says. A batch is a few dozen small operations, each an
    // OpenMP region with a barrier; when another process wants a core (a browser, a build, a
    // second test), a barrier waits for a descheduled thread, a scheduler slice each time.
    // Measured on this 2-core machine, width 256 with batches of 256, 20 epochs: 2 threads
    // 1.9 s idle but 13.7 s beside one busy process (38 s beside two); 1 thread 2.5 s idle and
    // 2.5-3.7 s beside them. At width 1024 and batches of 1024, 2 threads still lost 5.6x beside
    // two busy processes. The same count every time also keeps runs repeating bit for bit.
    if (torch::get_num_threads() != 1) torch::set_num_threads(1);
    std::mt19937_64 rng(ctx.seed);

    // Standardize a regression target with the training mean and std.
    target_ = shape_.classification ? TargetScale{} : TargetScale::of(y);

    {
      // The layers' initial weights come from torch's global generator, seeded here. Fits side
      // by side (cross-validation's folds) would interleave their draws from it; under the
      // lock each fit's weights are its seed's.
      std::lock_guard<std::mutex> g(global_generator_lock());
      torch::manual_seed(ctx.seed);
      build(static_cast<int64_t>(x.cols));
    }
    for (size_t i = 0; i < dropouts_.size(); ++i) dropouts_[i]->seed(ctx.seed ^ (0xD1B54A32D192ED03ULL * (i + 1)));
    net_->train();
    FlatOptimizer opt({cfg_.optimizer, cfg_.momentum, cfg_.weight_decay, cfg_.nesterov}, net_->parameters());

    const int64_t n = static_cast<int64_t>(x.rows);
    torch::Tensor xt = as_tensor(x), yt = make_target(y);
    // Weights scaled to mean 1: a batch's loss is then an unbiased estimate of the weighted
    // mean loss, and the learning rate means the same whatever the weights' scale.
    torch::Tensor wt;
    if (!w.empty()) {
      double sum = 0;
      for (size_t i = 0; i < w.size(); ++i) {
        if (!std::isfinite(w[i]) || w[i] < 0)
          return fail(fmt::format("sample weight at row {} is {}, not a finite number >= 0", i, w[i]));
        sum += w[i];
      }
      if (!(sum > 0)) return fail("all sample weights are 0");
      wt = torch::from_blob(const_cast<float*>(w.data()), {n}, torch::kFloat32)
               .to(torch::kFloat64)
               .mul(static_cast<double>(n) / sum)
               .to(torch::kFloat32);
    }
    torch::Tensor vx, vy;
    if (has_valid) {
      vx = as_tensor(*valid_x);
      vy = make_target(*valid_y);
    }
    const int64_t bs = std::min<int64_t>(cfg_.batch_size, n);
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});

    Snapshot best = take_snapshot(net_);
    double best_watch = std::numeric_limits<double>::infinity();
    int64_t since_best = 0;
    double first_loss = std::numeric_limits<double>::quiet_NaN();
    int exploding = 0;  // batches in a row above kExplodeFactor * first_loss
    auto lr_hint = [&]() { return fmt::format("lr {:g} is likely too large", cfg_.lr); };
    auto diverge = [&](std::string why) {
      restore_snapshot(net_, best);
      net_->eval();
      r.status = "diverged";
      r.reason = std::move(why);
      return r;
    };
    auto stop = [&](int64_t epoch) {
      restore_snapshot(net_, best);
      net_->eval();
      r.status = "stopped";
      r.reason = fmt::format("the deadline passed during epoch {} of {}", epoch, cfg_.epochs);
      return r;
    };
    auto exploded = [&](double loss, int64_t epoch, const std::string& what) {
      return diverge(fmt::format("loss exploded to {} at epoch {} ({}; over {:g} times the initial loss {}; {})",
                                 format_loss(loss), epoch, what, kExplodeFactor, format_loss(first_loss), lr_hint()));
    };

    for (int64_t epoch = 0; epoch < cfg_.epochs; ++epoch) {
      const double lr = lr_at(epoch);
      std::shuffle(order.begin(), order.end(), rng);
      torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kInt64);
      double loss_sum = 0, weight_sum = 0;
      for (int64_t start = 0; start < n; start += bs) {
        if (deadline.passed()) return stop(epoch);
        const int64_t len = std::min(bs, n - start);
        if (cfg_.batch_norm && len < 2) continue;  // BatchNorm cannot train on a single row
        torch::Tensor idx = perm.narrow(0, start, len);
        torch::Tensor bx = xt.index_select(0, idx), by = yt.index_select(0, idx);
        torch::Tensor losses = row_losses(net_->forward(bx), by);
        torch::Tensor loss;
        if (wt.defined())
          loss = (losses * wt.index_select(0, idx)).mean();
        else
          loss = losses.mean();
        const double lv = loss.item<double>();
        if (!std::isfinite(lv))
          return diverge(fmt::format("loss became {} at epoch {} ({})", format_loss(lv), epoch, lr_hint()));
        if (std::isnan(first_loss)) first_loss = std::max(lv, 1e-6);
        exploding = lv > kExplodeFactor * first_loss ? exploding + 1 : 0;
        if (exploding >= kExplodeBatches) return exploded(lv, epoch, fmt::format("{} batches in a row", exploding));
        opt.zero_grad();
        loss.backward();
        opt.step(lr);
        loss_sum += lv * static_cast<double>(len);
        weight_sum += static_cast<double>(len);
      }
      const double train_loss = weight_sum > 0 ? loss_sum / weight_sum : std::numeric_limits<double>::quiet_NaN();
      if (train_loss > kExplodeFactor * first_loss) return exploded(train_loss, epoch, "the epoch's mean");
      if (!opt.finite())
        return diverge(fmt::format("the weights became non-finite at epoch {} (train loss {}; {})", epoch,
                                   format_loss(train_loss), lr_hint()));
      const double vl = has_valid ? valid_loss(vx, vy) : std::numeric_limits<double>::quiet_NaN();
      r.curve.push_back({epoch, train_loss, vl});
      if (ctx.progress) ctx.progress(epoch + 1, cfg_.epochs);
      if (has_valid) {
        if (!std::isfinite(vl))
          return diverge(fmt::format("valid loss became {} at epoch {} ({})", format_loss(vl), epoch, lr_hint()));
        if (vl < best_watch) {
          best_watch = vl;
          best = take_snapshot(net_);
          r.best_step = epoch;
          since_best = 0;
        } else if (cfg_.patience > 0 && ++since_best >= cfg_.patience) {
          break;  // early stopping
        }
      } else {
        best = take_snapshot(net_);  // without a valid slice, the latest epoch is the best
        r.best_step = epoch;
      }
    }
    restore_snapshot(net_, best);
    net_->eval();
    return r;
  }

  MlpConfig cfg_;
  TaskShape shape_;
  mutable torch::nn::Sequential net_{nullptr};
  std::vector<FastDropout> dropouts_;  // the dropout layers of net_, seeded at each fit
  int64_t in_dim_ = 0;
  TargetScale target_;  // regression: the target as fitted
};

}  // namespace

// The plugin's entry point: mlloop's `mlp` family (model/mlp_family.cpp) loads this library
// on first use, so that commands which train no MLP never pay for loading libtorch.
extern "C" __attribute__((visibility("default"))) Model* mlloop_mlp_create(const Params* params,
                                                                           const TaskShape* shape) {
  return new Mlp(*params, *shape);
}

}  // namespace mlloop
