// linear: L2-regularized logistic regression with liblinear (one-vs-rest for several
// classes, trust-region Newton: an exact solver, no learning rate), and ridge regression by
// an Eigen Cholesky solve.
#include <linear.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "mlloop/core/child.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop {
namespace {

void quiet(const char*) {}

class Linear final : public Model {
 public:
  Linear(const Params& p, TaskShape shape) : shape_(shape), c_(p.at("C").get<double>()) {}

  FitResult fit(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, const Matrix*,
                const std::vector<float>*, const Context&, const Deadline& deadline) override {
    FitResult r;
    cols_ = x.cols;
    if (!shape_.classification) {
      fit_ridge(x, y, w);
      return r;
    }
    if (!deadline.at) {
      fit_liblinear(x, y);
      return r;
    }
    // liblinear's solver has no callback to stop it: under a deadline it runs in a child
    // process, killed when the deadline passes.
    ChildResult child = run_with_deadline(
        [&] {
          fit_liblinear(x, y);
          return save();
        },
        deadline.at);
    if (child.stopped) {
      r.status = "stopped";
      r.reason = "the deadline passed during liblinear's solve (run in a child process, which was stopped)";
      r.usable = false;
      return r;
    }
    load(child.bytes);
    return r;
  }

  void fit_liblinear(const Matrix& x, const std::vector<float>& y) {
    // liblinear takes sparse rows; zeros are left out, a bias feature is appended.
    std::vector<feature_node> nodes;
    std::vector<size_t> starts;
    nodes.reserve(x.rows * (x.cols + 2));
    for (size_t i = 0; i < x.rows; ++i) {
      starts.push_back(nodes.size());
      for (size_t j = 0; j < x.cols; ++j) {
        float v = x.at(i, j);
        if (v != 0.f) nodes.push_back({static_cast<int>(j + 1), v});
      }
      nodes.push_back({static_cast<int>(x.cols + 1), 1.0});  // bias
      nodes.push_back({-1, 0});
    }
    std::vector<feature_node*> rows(x.rows);
    for (size_t i = 0; i < x.rows; ++i) rows[i] = nodes.data() + starts[i];
    std::vector<double> labels(y.begin(), y.end());
    problem prob{};
    prob.l = static_cast<int>(x.rows);
    prob.n = static_cast<int>(x.cols + 1);
    prob.y = labels.data();
    prob.x = rows.data();
    prob.bias = -1;  // the bias is an explicit feature above
    parameter param{};
    param.solver_type = L2R_LR;
    param.eps = 0.01;  // liblinear's own default for this solver
    param.C = c_;
    set_print_string_function(&quiet);
    model* m = train(&prob, &param);
    // Keep the weights, in class-index order, and drop liblinear's model.
    nr_class_ = get_nr_class(m);
    labels_.resize(static_cast<size_t>(nr_class_));
    get_labels(m, labels_.data());
    int nr_w = nr_class_ == 2 ? 1 : nr_class_;
    w_.assign(m->w, m->w + static_cast<size_t>(prob.n) * static_cast<size_t>(nr_w));
    free_and_destroy_model(&m);
  }

  std::vector<float> predict(const Matrix& x) const override {
    std::vector<float> out;
    if (!shape_.classification) {
      out.resize(x.rows);
      for (size_t i = 0; i < x.rows; ++i) {
        double s = w_.back();
        for (size_t j = 0; j < x.cols; ++j) s += w_[j] * x.at(i, j);
        out[i] = static_cast<float>(s);
      }
      return out;
    }
    // The same probabilities as liblinear's predict_probability: sigmoid of each one-vs-rest
    // score, normalized over classes.
    const size_t k = shape_.classes, n = cols_ + 1;
    const int nr_w = nr_class_ == 2 ? 1 : nr_class_;
    out.assign(x.rows * k, 0.f);
    std::vector<double> dec(static_cast<size_t>(nr_w)), prob(static_cast<size_t>(nr_class_));
    for (size_t i = 0; i < x.rows; ++i) {
      for (int c = 0; c < nr_w; ++c) {
        double s = w_[(n - 1) * static_cast<size_t>(nr_w) + static_cast<size_t>(c)];
        for (size_t j = 0; j < cols_; ++j) s += w_[j * static_cast<size_t>(nr_w) + static_cast<size_t>(c)] * x.at(i, j);
        dec[static_cast<size_t>(c)] = s;
      }
      if (nr_class_ == 2) {
        prob[0] = 1 / (1 + std::exp(-dec[0]));
        prob[1] = 1 - prob[0];
      } else {
        double sum = 0;
        for (int c = 0; c < nr_class_; ++c) sum += prob[static_cast<size_t>(c)] = 1 / (1 + std::exp(-dec[static_cast<size_t>(c)]));
        for (auto& p : prob) p /= sum;
      }
      for (int c = 0; c < nr_class_; ++c)
        out[i * k + static_cast<size_t>(labels_[static_cast<size_t>(c)])] = static_cast<float>(prob[static_cast<size_t>(c)]);
    }
    return out;
  }

  std::string save() const override {
    return nlohmann::json{{"cols", cols_}, {"nr_class", nr_class_}, {"labels", labels_}, {"w", w_}}.dump();
  }
  void load(const std::string& bytes) override {
    auto j = nlohmann::json::parse(bytes);
    cols_ = j.at("cols");
    nr_class_ = j.at("nr_class");
    labels_ = j.at("labels").get<std::vector<int>>();
    w_ = j.at("w").get<std::vector<double>>();
  }

 private:
  void fit_ridge(const Matrix& x, const std::vector<float>& y, const std::vector<float>& wt) {
    // Minimize sum w_i (y_i - b - x_i.w)^2 + (1/C) |w|^2, the intercept b unpenalized.
    const Eigen::Index n = static_cast<Eigen::Index>(x.rows), d = static_cast<Eigen::Index>(x.cols);
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> xm(x.data.data(), n, d);
    Eigen::MatrixXd a(n, d + 1);
    a.leftCols(d) = xm.cast<double>();
    a.col(d).setOnes();
    Eigen::VectorXd yv(n), sw(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      yv(i) = y[static_cast<size_t>(i)];
      sw(i) = wt.empty() ? 1.0 : wt[static_cast<size_t>(i)];
    }
    Eigen::MatrixXd gram = a.transpose() * sw.asDiagonal() * a;
    gram.diagonal().head(d).array() += 1.0 / c_;
    Eigen::VectorXd rhs = a.transpose() * (sw.asDiagonal() * yv);
    Eigen::VectorXd sol = gram.ldlt().solve(rhs);
    w_.assign(sol.data(), sol.data() + sol.size());
  }

  TaskShape shape_;
  double c_;
  size_t cols_ = 0;
  int nr_class_ = 0;
  std::vector<int> labels_;
  std::vector<double> w_;
};

}  // namespace

Family linear_family() {
  Family f;
  f.name = "linear";
  f.description = "L2-regularized logistic regression (liblinear, one-vs-rest for several classes) or ridge regression "
                  "(Eigen). An exact solver: no learning rate to tune.";
  f.params = {{"C", ParamSpec::Kind::real, 1.0, 1e-6, 1e6, {}, "inverse L2 strength: larger C, weaker regularization", true}};
  f.standardize = true;
  f.create = [](const Params& p, const TaskShape& s) { return std::make_unique<Linear>(p, s); };
  f.step_up = [](const Params& p) -> std::optional<Params> {
    if (p.at("C").get<double>() >= 1e5) return std::nullopt;
    Params q = p;
    q["C"] = p.at("C").get<double>() * 10;
    return q;
  };
  f.step_down = [](const Params& p) -> std::optional<Params> {
    if (p.at("C").get<double>() <= 1e-5) return std::nullopt;
    Params q = p;
    q["C"] = p.at("C").get<double>() / 10;
    return q;
  };
  return f;
}

}  // namespace mlloop
