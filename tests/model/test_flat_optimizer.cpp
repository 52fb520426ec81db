// The mlp's FlatOptimizer (src/model/torch/flat_optimizer.hpp) against torch::optim: the same
// parameters and gradients give the same parameters after every step, for SGD (with and
// without momentum, Nesterov, weight decay), Adam (with and without its L2 penalty) and AdamW;
// and when it is gone, each parameter has its own storage again and keeps its values.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "flat_optimizer.hpp"

namespace mlloop {
namespace {

std::vector<torch::Tensor> make_params(uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> ps;
  for (auto shape : std::vector<std::vector<int64_t>>{{7, 5}, {5}, {3, 7}, {1}})
    ps.push_back(torch::randn(shape).set_requires_grad(true));
  return ps;
}

std::unique_ptr<torch::optim::Optimizer> reference(const FlatOptimizer::Settings& s, std::vector<torch::Tensor> ps, double lr) {
  if (s.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        ps, torch::optim::SGDOptions(lr).momentum(s.momentum).weight_decay(s.weight_decay).nesterov(s.nesterov));
  if (s.optimizer == "adam") return std::make_unique<torch::optim::Adam>(ps, torch::optim::AdamOptions(lr).weight_decay(s.weight_decay));
  return std::make_unique<torch::optim::AdamW>(ps, torch::optim::AdamWOptions(lr).weight_decay(s.weight_decay));
}

double max_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, (a[i] - b[i]).abs().max().item<double>());
  return d;
}

TEST(FlatOptimizer, MatchesTorchOptimStepByStep) {
  const std::vector<FlatOptimizer::Settings> cases = {
      {"sgd", 0.0, 0.0, false}, {"sgd", 0.9, 0.0, false}, {"sgd", 0.9, 0.01, true}, {"sgd", 0.5, 0.1, false},
      {"adam", 0.0, 0.0, false}, {"adam", 0.0, 0.01, false}, {"adamw", 0.0, 0.01, false}, {"adamw", 0.0, 0.0, false}};
  for (const auto& s : cases) {
    SCOPED_TRACE(s.optimizer + " momentum " + std::to_string(s.momentum) + " weight_decay " + std::to_string(s.weight_decay) +
                 (s.nesterov ? " nesterov" : ""));
    auto ours = make_params(5), theirs = make_params(5);
    ASSERT_EQ(max_diff(ours, theirs), 0.0);
    const double lr = 0.05;
    auto ref = reference(s, theirs, lr);
    FlatOptimizer flat(s, ours);
    torch::manual_seed(11);
    for (int step = 0; step < 6; ++step) {
      flat.zero_grad();
      ref->zero_grad();
      // A loss whose gradient depends on the parameters, so that momentum and the moments see
      // changing gradients; the same loss on both sides.
      torch::Tensor target = torch::randn({3, 5});
      auto loss_of = [&](const std::vector<torch::Tensor>& p) {
        torch::Tensor h = torch::tanh(torch::matmul(p[2], p[0]) + p[1]);
        return ((h - target).pow(2).sum() + p[3].pow(2).sum());
      };
      loss_of(ours).backward();
      loss_of(theirs).backward();
      ASSERT_LE(max_diff(ours, theirs), 1e-6) << "before step " << step;
      flat.step(lr);
      ref->step();
      EXPECT_LE(max_diff(ours, theirs), 1e-6) << "after step " << step;
    }
    // The parameters moved (a step that did nothing would also match a reference that did
    // nothing wrong only by accident).
    EXPECT_GT(max_diff(ours, make_params(5)), 1e-3);
  }
}

TEST(FlatOptimizer, GivesEachParameterItsOwnStorageBack) {
  auto ps = make_params(3);
  std::vector<torch::Tensor> values;
  {
    FlatOptimizer flat({"adam", 0.0, 0.0, false}, ps);
    // While it lives, the parameters are views of one buffer.
    EXPECT_EQ(ps[0].storage().data(), ps[1].storage().data());
    ps[0].sum().backward();
    flat.step(0.1);
    for (const auto& p : ps) values.push_back(p.detach().clone());
  }
  EXPECT_NE(ps[0].storage().data(), ps[1].storage().data());
  for (size_t i = 0; i < ps.size(); ++i) {
    EXPECT_TRUE(torch::equal(ps[i].detach(), values[i]));
    EXPECT_EQ(ps[i].storage().nbytes(), static_cast<size_t>(ps[i].numel()) * sizeof(float));
    EXPECT_FALSE(ps[i].grad().defined());
  }
}

}  // namespace
}  // namespace mlloop
