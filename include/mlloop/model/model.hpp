// The Model interface: every family (baseline, linear, gbdt, mlp, knn) is an adapter behind
// it. A model sees dense float matrices that the preprocessing Pipeline made; it fits,
// predicts values or class probabilities, and saves and loads itself.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlloop {

class Context;

// A dense row-major float matrix. Missing values are NaN (trees read them as missing; the
// pipeline imputes them for the other families).
struct Matrix {
  Matrix() = default;
  Matrix(size_t r, size_t c, std::vector<float> d, std::vector<uint8_t> types = {})
      : rows(r), cols(c), data(std::move(d)), categorical(std::move(types)) {}
  size_t rows = 0, cols = 0;
  std::vector<float> data;
  // Per column, 1 where it holds a category's codes (0, 1, ... in no meaningful order; NaN
  // missing), as the trees' pipeline writes them; empty: unknown, read as numbers.
  std::vector<uint8_t> categorical;
  const float* row(size_t i) const { return data.data() + i * cols; }
  float& at(size_t i, size_t j) { return data[i * cols + j]; }
  float at(size_t i, size_t j) const { return data[i * cols + j]; }
  // Appends the rows of `other`, of the same columns (a matrix without rows takes its width).
  void append_rows(const Matrix& other) {
    if (rows == 0) cols = other.cols;
    data.insert(data.end(), other.data.begin(), other.data.end());
    rows += other.rows;
  }
};

// What a model learns: for classification y holds class indices 0..classes-1 as floats; for
// regression, the target values.
struct TaskShape {
  bool classification = true;
  size_t classes = 2;  // 0 for regression
  // A regression judged by mae: the baseline predicts the median, linear fits the least
  // absolute error. The gbdt and the mlp fit squared error whatever the metric (XGBoost's
  // absolute-error boosting, gradients of +-1, converged far slower on Gaussian noise).
  bool absolute_loss = false;
};

// A regression target as a family fits it, (y - center) / scale: the training rows' (weighted)
// mean and standard deviation; a constant target keeps scale 1. The gbdt and the mlp fit on it
// and map their predictions back (v * scale + center).
struct TargetScale {
  double center = 0, scale = 1;
  static TargetScale of(const std::vector<float>& y, const std::vector<float>& w = {}) {
    TargetScale t;
    double sw = 0, sy = 0, syy = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      const double wi = w.empty() ? 1.0 : w[i];
      sw += wi;
      sy += wi * y[i];
    }
    if (sw <= 0) return t;
    t.center = sy / sw;
    for (size_t i = 0; i < y.size(); ++i) {
      const double wi = w.empty() ? 1.0 : w[i];
      syy += wi * (y[i] - t.center) * (y[i] - t.center);
    }
    const double sd = std::sqrt(syy / sw);
    if (std::isfinite(sd) && sd > 0) t.scale = sd;
    return t;
  }
  std::vector<float> to_fit(const std::vector<float>& y) const {
    std::vector<float> out(y.size());
    for (size_t i = 0; i < y.size(); ++i) out[i] = static_cast<float>((y[i] - center) / scale);
    return out;
  }
};

// One point of a training curve (per round or epoch): losses on the data the model fits and
// on its early-stopping slice (NaN when there is none).
struct CurvePoint {
  int64_t step = 0;
  double train_loss = 0;
  double valid_loss = 0;
};

// A deadline that long trainings check between rounds or epochs.
struct Deadline {
  std::optional<std::chrono::steady_clock::time_point> at;
  bool passed() const { return at && std::chrono::steady_clock::now() >= *at; }
};

struct FitResult {
  std::string status = "done";  // done | diverged | stopped | failed
  std::string reason;           // why, when not done
  std::vector<CurvePoint> curve;
  int64_t best_step = -1;       // the round or epoch kept by early stopping
  bool usable = true;           // false: stopped before any model existed (nothing to predict with)
};

using Params = nlohmann::json;  // an object: parameter name -> value

class Model {
 public:
  virtual ~Model() = default;
  // Fits on (x, y). `valid` is an optional early-stopping slice carved from train, never
  // train-dev. Sample weights may be empty.
  virtual FitResult fit(const Matrix& x, const std::vector<float>& y, const std::vector<float>& weights,
                        const Matrix* valid_x, const std::vector<float>* valid_y, const Context& ctx,
                        const Deadline& deadline) = 0;
  // Classification: rows x classes probabilities. Regression: one value per row.
  virtual std::vector<float> predict(const Matrix& x) const = 0;
  // The learned state, as bytes; load() restores it into a model created with the same params.
  virtual std::string save() const = 0;
  virtual void load(const std::string& bytes) = 0;
  // Importance of each input column, summing to 1, for the families that know it (trees);
  // empty otherwise.
  virtual std::vector<double> feature_importance() const { return {}; }
};

// A parameter, declared once: --help, `mlloop models`, validation and the docs come from it.
struct ParamSpec {
  enum class Kind { real, integer, choice, boolean };
  std::string name;
  Kind kind = Kind::real;
  nlohmann::json default_value;
  double low = 0, high = 0;          // bounds for real and integer (inclusive)
  std::vector<std::string> choices;  // for choice
  std::string description;
  bool log_scale = false;            // a hint for tuners
};

struct Family {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;
  bool standardize = true;  // scale numeric inputs and one-hot categoricals (false: trees get raw values and codes)
  std::function<std::unique_ptr<Model>(const Params&, const TaskShape&)> create;
  // Capacity steps for the policy: the next config up (more expressive) or down (simpler),
  // or nullopt at the end of the ladder.
  std::function<std::optional<Params>(const Params&)> step_up;
  std::function<std::optional<Params>(const Params&)> step_down;
  // Optional: loads ahead of need what `create` would load on first use (the mlp's libtorch,
  // about half a second), so a caller can do it in the background. Failures are left for
  // `create` to report.
  std::function<void()> warm_up;
  // Optional: after a fit that stopped early on a slice of train and kept `best_step` rounds,
  // the params that fit again on every training row, the slice included, for those rounds (no
  // slice); nullopt where `params` ask for no refit. The gbdt's `refit`.
  std::function<std::optional<Params>(const Params&, int64_t best_step)> refit;
};

// Families by name.
class Registry {
 public:
  void add(Family f);
  // Throws a bad-input Error listing the known names.
  const Family& get(const std::string& name) const;
  const std::vector<Family>& families() const { return families_; }

 private:
  std::vector<Family> families_;
};

// Registers baseline, linear, gbdt, mlp and knn.
void register_builtins(Registry& r);
// The adapters in their own folders (model/xgboost, model/torch) register through these.
void register_gbdt(Registry& r);
void register_mlp(Registry& r);

// Checks user params against the family's declarations and fills in defaults. Unknown
// names, values out of bounds and wrong types are bad-input Errors naming the parameter,
// its bounds or the valid names.
Params resolve_params(const Family& family, const Params& given);
// Parses "KEY=VALUE" (from --param) into the right JSON type for the spec.
std::pair<std::string, nlohmann::json> parse_param_assignment(const Family& family, const std::string& text);

}  // namespace mlloop
