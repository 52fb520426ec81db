// baseline: the class prior (classification), or the mean (regression; the median where the
// project's metric is mae). The bar every model must beat.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "mlloop/model/model.hpp"

namespace mlloop {
namespace {

class Baseline final : public Model {
 public:
  explicit Baseline(TaskShape shape) : shape_(shape) {}

  FitResult fit(const Matrix&, const std::vector<float>& y, const std::vector<float>& w, const Matrix*,
                const std::vector<float>*, const Context&, const Deadline&) override {
    if (shape_.classification) {
      out_.assign(shape_.classes, 0.f);
      double total = 0;
      for (size_t i = 0; i < y.size(); ++i) {
        double wi = w.empty() ? 1.0 : w[i];
        out_[static_cast<size_t>(y[i])] += static_cast<float>(wi);
        total += wi;
      }
      for (auto& p : out_) p = static_cast<float>(p / total);
    } else if (shape_.absolute_loss) {
      // The weighted median: the constant of least absolute error.
      std::vector<std::pair<float, double>> v(y.size());
      double total = 0;
      for (size_t i = 0; i < y.size(); ++i) total += (v[i] = {y[i], w.empty() ? 1.0 : w[i]}).second;
      std::sort(v.begin(), v.end());
      double run = 0;
      out_ = {v.empty() ? 0.f : v.back().first};
      for (const auto& [value, weight] : v)
        if ((run += weight) >= total / 2) {
          out_ = {value};
          break;
        }
    } else {
      double s = 0, total = 0;
      for (size_t i = 0; i < y.size(); ++i) {
        double wi = w.empty() ? 1.0 : w[i];
        s += wi * y[i];
        total += wi;
      }
      out_ = {static_cast<float>(s / total)};
    }
    return {};
  }

  std::vector<float> predict(const Matrix& x) const override {
    std::vector<float> p;
    p.reserve(x.rows * out_.size());
    for (size_t i = 0; i < x.rows; ++i) p.insert(p.end(), out_.begin(), out_.end());
    return p;
  }

  std::string save() const override { return nlohmann::json(out_).dump(); }
  void load(const std::string& bytes) override { out_ = nlohmann::json::parse(bytes).get<std::vector<float>>(); }

 private:
  TaskShape shape_;
  std::vector<float> out_;  // class probabilities, or the mean (median)
};

}  // namespace

Family baseline_family() {
  Family f;
  f.name = "baseline";
  f.description = "The class prior (classification) or the mean of the target (regression): the bar every model must beat.";
  f.standardize = false;
  f.create = [](const Params&, const TaskShape& s) { return std::make_unique<Baseline>(s); };
  f.step_up = [](const Params&) -> std::optional<Params> { return std::nullopt; };
  f.step_down = [](const Params&) -> std::optional<Params> { return std::nullopt; };
  return f;
}

}  // namespace mlloop
