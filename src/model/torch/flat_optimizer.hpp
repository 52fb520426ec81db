#pragma once
// The mlp's optimizer (src/model/torch/mlp.cpp), in a header of its own so that a unit test
// can check it against torch::optim step by step. Include only where libtorch is already
// included: its headers are slow to compile.
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace mlloop {

// torch::optim's SGD, Adam and AdamW (libtorch 1.13: the same formulas, in the same order, so
// the same numbers), on one flat buffer holding every parameter and one holding every
// gradient. Each parameter becomes a view into the first, its gradient a view into the second
// (autograd adds into a defined gradient in place), so a step is a handful of tensor ops
// instead of a handful per parameter, and zeroing the gradients is one. On a small network
// that per-op overhead, not the arithmetic, is most of a mini-batch's time.
class FlatOptimizer {
 public:
  struct Settings {
    std::string optimizer;  // sgd | adam | adamw
    double momentum = 0;    // sgd
    double weight_decay = 0;
    bool nesterov = false;  // sgd
  };
  FlatOptimizer(Settings cfg, std::vector<torch::Tensor> params) : cfg_(std::move(cfg)), params_(std::move(params)) {
    torch::NoGradGuard guard;
    int64_t total = 0;
    for (const auto& p : params_) total += p.numel();
    param_ = torch::empty({total}, torch::kFloat32);
    grad_ = torch::zeros({total}, torch::kFloat32);
    int64_t off = 0;
    for (auto& p : params_) {
      const int64_t k = p.numel();
      param_.narrow(0, off, k).copy_(p.reshape({-1}));
      p.set_data(param_.narrow(0, off, k).view(p.sizes()));
      p.mutable_grad() = grad_.narrow(0, off, k).view(p.sizes());
      off += k;
    }
  }
  FlatOptimizer(const FlatOptimizer&) = delete;
  FlatOptimizer& operator=(const FlatOptimizer&) = delete;
  // Each parameter gets its own storage back (a saved view would carry the whole buffer).
  ~FlatOptimizer() {
    torch::NoGradGuard guard;
    for (auto& p : params_) {
      p.set_data(p.detach().clone());
      p.mutable_grad() = torch::Tensor();
    }
  }

  void zero_grad() { grad_.zero_(); }

  void step(double lr) {
    torch::NoGradGuard guard;
    ++steps_;
    const double wd = cfg_.weight_decay;
    if (cfg_.optimizer == "sgd") {
      torch::Tensor d = wd != 0 ? grad_.add(param_, wd) : grad_;
      if (cfg_.momentum != 0) {
        if (steps_ == 1)
          buf_ = torch::clone(d).detach();
        else
          buf_.mul_(cfg_.momentum).add_(d, 1.0);
        d = cfg_.nesterov ? d.add(buf_, cfg_.momentum) : buf_;
      }
      param_.add_(d, -1 * lr);
      return;
    }
    constexpr double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // torch::optim's defaults
    if (steps_ == 1) {
      exp_avg_ = torch::zeros_like(param_, torch::MemoryFormat::Preserve);
      exp_avg_sq_ = torch::zeros_like(param_, torch::MemoryFormat::Preserve);
    }
    const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(steps_));
    const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(steps_));
    torch::Tensor g = grad_;
    if (cfg_.optimizer == "adamw") {
      if (wd != 0) param_.mul_(1 - lr * wd);  // decoupled weight decay
    } else if (wd != 0) {
      g = g.add(param_, wd);  // Adam's L2 penalty, through the gradient
    }
    exp_avg_.mul_(beta1).add_(g, 1 - beta1);
    exp_avg_sq_.mul_(beta2).addcmul_(g, g, 1 - beta2);
    torch::Tensor denom = (exp_avg_sq_.sqrt() / std::sqrt(bias_correction2)).add_(eps);
    param_.addcdiv_(exp_avg_, denom, -lr / bias_correction1);
  }

  bool finite() const {
    torch::NoGradGuard guard;
    return torch::isfinite(param_).all().item<bool>();
  }

 private:
  const Settings cfg_;
  std::vector<torch::Tensor> params_;
  torch::Tensor param_, grad_, buf_, exp_avg_, exp_avg_sq_;
  int64_t steps_ = 0;
};

}  // namespace mlloop
