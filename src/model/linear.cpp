// linear: L2-regularized logistic regression solved by L-BFGS (LBFGSpp) on the dense matrix,
// with sample weights and an unpenalized intercept: for two classes, the objective of
// sklearn's LogisticRegression(lbfgs). Several classes: multinomial (the default, as sklearn's
// lbfgs solver) or one-vs-rest (param `multiclass`; the default before 2026-12-06, after the
// liblinear solver of earlier versions). One-vs-rest lost to it on 6 of 8 multiclass tables,
// 5-fold out of fold: iris 8.2% against 4.2% (versicolor against the rest is no linear
// problem), satellite 16.4% against 14.3%, seattle_weather 21.9% against 20.6%, 50 classes
// 52% against 36%; penguins tied, wine (178 rows) 1.5% against 1.9%. Regression:
// ridge by an Eigen Cholesky solve (for mae, the least absolute error by reweighting it). Both
// are exact solvers: no learning rate to tune.
// With `penalty = l1` the same losses carry |w|_1 / C instead (sklearn's L1 logistic
// regression; for regression, the lasso on the sum of squares of the target standardized by
// its weighted mean and spread), solved by L-BFGS-B on the
// positive and negative parts of the weights: a weight the penalty does not pay for sits
// exactly at 0.
#include <LBFGS.h>
#include <LBFGSB.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "mlloop/core/child.hpp"
#include "mlloop/core/context.hpp"
#include "mlloop/core/joined_thread.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop {
namespace {

using RowMatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct DeadlinePassed {};

// The rows' total weight (their count when unweighted); 1 when it is not positive, so that
// an objective divided by it stays finite.
double total_weight_of(size_t rows, const std::vector<float>& w) {
  double total = w.empty() ? static_cast<double>(rows) : 0.0;
  for (float v : w) total += v;
  return total > 0 ? total : 1.0;
}

// The weighted log loss plus (1 / 2C) |W|^2, over the total weight, and its gradient. theta
// holds the weights row by row (feature j, class column c at j * k + c), then the k
// intercepts. k is 1 for a binary problem (the log-odds of class `positive` against the
// rest), else one column per class (softmax). Rows are shared out between threads in fixed
// ranges and the partial sums added in thread order, so a given thread count always gives
// the same numbers.
class LogisticObjective {
 public:
  LogisticObjective(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, size_t k, int positive,
                    double inv_c, int threads, const Deadline& deadline)
      : x_(x), y_(y), w_(w), k_(k), positive_(positive), inv_c_(inv_c), deadline_(deadline) {
    total_weight_ = total_weight_of(x.rows, w);
    // A thread for every 16k rows at most: below that, starting one costs more than it saves.
    threads_ = static_cast<size_t>(std::clamp<size_t>(x.rows / 16384, 1, static_cast<size_t>(std::max(1, threads))));
  }

  double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& grad) {
    if (deadline_.passed()) throw DeadlinePassed{};
    const size_t d = x_.cols, k = k_;
    const Eigen::Index dk = static_cast<Eigen::Index>(d * k);
    RowMatF wt = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                     theta.data(), static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(k))
                     .cast<float>();
    const Eigen::VectorXd bias = theta.tail(static_cast<Eigen::Index>(k));
    std::vector<Partial> parts(
        threads_, Partial{0.0, Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(k)),
                          Eigen::VectorXd::Zero(static_cast<Eigen::Index>(k))});
    auto run = [&](size_t t) { accumulate(x_.rows * t / threads_, x_.rows * (t + 1) / threads_, wt, bias, parts[t]); };
    std::deque<JoinedThread> pool;
    for (size_t t = 1; t < threads_; ++t) pool.emplace_back([&run, t] { run(t); });
    run(0);
    for (auto& th : pool) th.join();
    double loss = 0;
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(k));
    Eigen::VectorXd gb = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(k));
    for (const Partial& p : parts) {
      loss += p.loss;
      g += p.grad;
      gb += p.grad_bias;
    }
    const auto weights = theta.head(dk);
    const double f = (loss + 0.5 * inv_c_ * weights.squaredNorm()) / total_weight_;
    grad.resize(theta.size());
    using RowMatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const auto dd = static_cast<Eigen::Index>(d), kk = static_cast<Eigen::Index>(k);
    Eigen::Map<RowMatD>(grad.data(), dd, kk) =
        (g + inv_c_ * Eigen::Map<const RowMatD>(theta.data(), dd, kk)) / total_weight_;
    grad.tail(static_cast<Eigen::Index>(k)) = gb / total_weight_;
    ++evaluations_;
    if (f < best_f_) {
      best_f_ = f;
      best_ = theta;
    }
    return f;
  }

  const Eigen::VectorXd& best() const { return best_; }
  int evaluations() const { return evaluations_; }
  double total_weight() const { return total_weight_; }

 private:
  struct Partial {
    double loss;
    Eigen::MatrixXd grad;
    Eigen::VectorXd grad_bias;
  };

  // Rows [from, to) in blocks: the scores and the residuals of a block in float (small
  // products), the block's gradient added in double.
  void accumulate(size_t from, size_t to, const RowMatF& wt, const Eigen::VectorXd& bias, Partial& out) const {
    constexpr size_t kBlock = 2048;
    const size_t d = x_.cols, k = k_;
    RowMatF z, r;
    Eigen::VectorXd score(static_cast<Eigen::Index>(k));
    for (size_t b0 = from; b0 < to; b0 += kBlock) {
      const size_t b = std::min(kBlock, to - b0);
      Eigen::Map<const RowMatF> xb(x_.data.data() + b0 * d, static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(d));
      z.noalias() = xb * wt;
      r.resize(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(k));
      for (size_t i = 0; i < b; ++i) {
        const size_t row = b0 + i;
        const double s = w_.empty() ? 1.0 : w_[row];
        const int label = static_cast<int>(y_[row]);
        if (k == 1) {
          const double zi = z(static_cast<Eigen::Index>(i), 0) + bias(0);
          const double yi = label == positive_ ? 1.0 : 0.0;
          // log(1 + e^z) - y z, and sigmoid(z), without overflow.
          const double e = std::exp(-std::fabs(zi));
          out.loss += s * (std::log1p(e) + std::max(zi, 0.0) - yi * zi);
          const double p = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
          r(static_cast<Eigen::Index>(i), 0) = static_cast<float>(s * (p - yi));
          out.grad_bias(0) += s * (p - yi);
        } else {
          // The row's scores, once; then log-sum-exp and the softmax residuals.
          const auto ii = static_cast<Eigen::Index>(i);
          for (Eigen::Index c = 0; c < z.cols(); ++c) score(c) = z(ii, c) + bias(c);
          const double lse = score.maxCoeff() + std::log((score.array() - score.maxCoeff()).exp().sum());
          out.loss += s * (lse - score(label));
          for (Eigen::Index c = 0; c < z.cols(); ++c) {
            const double res = s * (std::exp(score(c) - lse) - (c == label ? 1.0 : 0.0));
            r(ii, c) = static_cast<float>(res);
            out.grad_bias(c) += res;
          }
        }
      }
      out.grad += (xb.transpose() * r).cast<double>();
    }
  }

  const Matrix& x_;
  const std::vector<float>& y_;
  const std::vector<float>& w_;
  size_t k_;
  int positive_;
  double inv_c_;
  const Deadline& deadline_;
  double total_weight_ = 1;
  size_t threads_ = 1;
  int evaluations_ = 0;
  double best_f_ = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_;
};

// The weighted sum of squares over the total weight, and its gradient: theta holds the
// weights, then the intercept. For the lasso (no L2 term: the L1 wrapper below adds |w|_1 / C
// and keeps the best point).
class SquaresObjective {
 public:
  SquaresObjective(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, const Deadline& deadline)
      : x_(x), y_(y), w_(w), deadline_(deadline) {
    total_weight_ = total_weight_of(x.rows, w);
  }
  double operator()(const Eigen::VectorXd& theta, Eigen::VectorXd& grad) {
    if (deadline_.passed()) throw DeadlinePassed{};
    const auto d = static_cast<Eigen::Index>(x_.cols), n = static_cast<Eigen::Index>(x_.rows);
    Eigen::Map<const RowMatF> xm(x_.data.data(), n, d);
    const Eigen::VectorXd pred = (xm.cast<double>() * theta.head(d)).array() + theta(d);
    Eigen::VectorXd r(n);
    double loss = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double s = w_.empty() ? 1.0 : w_[static_cast<size_t>(i)];
      const double e = pred(i) - y_[static_cast<size_t>(i)];
      loss += s * e * e;
      r(i) = 2 * s * e;
    }
    grad.resize(d + 1);
    grad.head(d) = xm.cast<double>().transpose() * r / total_weight_;
    grad(d) = r.sum() / total_weight_;
    ++evaluations_;
    return loss / total_weight_;
  }
  double total_weight() const { return total_weight_; }
  int evaluations() const { return evaluations_; }

 private:
  const Matrix& x_;
  const std::vector<float>& y_;
  const std::vector<float>& w_;
  const Deadline& deadline_;
  double total_weight_ = 1;
  int evaluations_ = 0;
};

// f(w) + lambda |w|_1 as a smooth problem in (w+, w-) >= 0, w = w+ - w-, for L-BFGS-B: the
// first `penalized` entries of the inner objective's theta are the weights (the intercepts
// after them are left free). z holds w+, then w-, then the free entries.
template <typename Inner>
class L1Objective {
 public:
  L1Objective(Inner& inner, size_t penalized, size_t free, double lambda)
      : inner_(inner), p_(static_cast<Eigen::Index>(penalized)), q_(static_cast<Eigen::Index>(free)), lambda_(lambda) {}
  double operator()(const Eigen::VectorXd& z, Eigen::VectorXd& grad) {
    Eigen::VectorXd theta(p_ + q_), g;
    theta.head(p_) = z.head(p_) - z.segment(p_, p_);
    theta.tail(q_) = z.tail(q_);
    const double f = inner_(theta, g);
    grad.resize(z.size());
    grad.head(p_) = g.head(p_).array() + lambda_;
    grad.segment(p_, p_) = -g.head(p_).array() + lambda_;
    grad.tail(q_) = g.tail(q_);
    const double total = f + lambda_ * (z.head(p_).sum() + z.segment(p_, p_).sum());
    if (total < best_f_) {  // the lowest penalized point evaluated, for a solver that stops early
      best_f_ = total;
      best_ = z;
    }
    return total;
  }
  // The lowest point evaluated so far (empty before the first evaluation).
  const Eigen::VectorXd& best() const { return best_; }
  Eigen::VectorXd theta(const Eigen::VectorXd& z) const {
    Eigen::VectorXd t(p_ + q_);
    t.head(p_) = z.head(p_) - z.segment(p_, p_);
    t.tail(q_) = z.tail(q_);
    return t;
  }
  Eigen::VectorXd start(const Eigen::VectorXd& theta) const {  // z for a point theta
    Eigen::VectorXd z = Eigen::VectorXd::Zero(2 * p_ + q_);
    z.head(p_) = theta.head(p_).cwiseMax(0.0);
    z.segment(p_, p_) = (-theta.head(p_)).cwiseMax(0.0);
    z.tail(q_) = theta.tail(q_);
    return z;
  }

 private:
  Inner& inner_;
  Eigen::Index p_, q_;
  double lambda_;
  double best_f_ = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_;
};

// Minimizes f + |w|_1 / (C total weight) (the inner objective's) from theta (the weights first, `free` unpenalized
// entries last), leaving the solution in theta: the lowest point the solver evaluated. The
// solver's line search writes each trial point into z before evaluating it, so after it
// throws, z is no answer: the objective's best point is. A search that found no descent
// direction (LBFGSpp 0.1.0's subspace step can produce one that is not) restarts from the
// best point with a fresh memory, at most twice. False when the deadline passed.
template <typename Inner>
bool solve_l1(Inner& inner, double c, size_t free, Eigen::VectorXd& theta) {
  const size_t penalized = static_cast<size_t>(theta.size()) - free;
  L1Objective<Inner> l1(inner, penalized, free, 1.0 / (c * inner.total_weight()));
  Eigen::VectorXd z = l1.start(theta);
  const double inf = std::numeric_limits<double>::infinity();
  Eigen::VectorXd lb = Eigen::VectorXd::Zero(z.size()), ub = Eigen::VectorXd::Constant(z.size(), inf);
  lb.tail(static_cast<Eigen::Index>(free)).setConstant(-inf);
  LBFGSpp::LBFGSBParam<double> param;
  param.m = 10;
  param.epsilon = 1e-6;
  param.epsilon_rel = 1e-6;
  param.past = 1;
  param.delta = 1e-9;
  param.max_iterations = 1000;
  bool in_time = true;
  for (int attempt = 0; attempt < 3; ++attempt) {
    LBFGSpp::LBFGSBSolver<double> solver(param);
    double fx = 0;
    try {
      solver.minimize(l1, z, fx, lb, ub);
      if (l1.best().size() == z.size()) z = l1.best();  // the end point is the best, or ties it
      break;
    } catch (const DeadlinePassed&) {
      in_time = false;
    } catch (const std::logic_error&) {
      // No descent direction: restart from the best point with a fresh memory.
      if (l1.best().size() == z.size()) z = l1.best();
      continue;
    } catch (const std::runtime_error&) {
      // The line search found no further decrease (at the optimum up to rounding), or ran
      // out of steps.
    }
    break;
  }
  if (l1.best().size() == z.size()) z = l1.best();
  theta = l1.theta(z);
  return in_time;
}

class Linear final : public Model {
 public:
  Linear(const Params& p, TaskShape shape)
      : shape_(shape),
        c_(p.at("C").get<double>()),
        multinomial_(p.value("multiclass", "multinomial") == "multinomial"),
        l1_(p.value("penalty", "l2") == "l1") {}

  FitResult fit(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, const Matrix*,
                const std::vector<float>*, const Context& ctx, const Deadline& deadline) override {
    FitResult r;
    cols_ = x.cols;
    if (!shape_.classification && l1_) {
      fit_lasso(x, y, w, deadline, r);
      return r;
    }
    if (!shape_.classification) {
      if (!deadline.at) {
        fit_regression(x, y, w);
        return r;
      }
      // The ridge solve (a Gram matrix of rows x columns^2, then a factorization) has no
      // point to stop at: under a deadline it runs in a child process, killed when the
      // deadline passes. It takes milliseconds unless the columns number in the thousands.
      ChildResult child = run_with_deadline(
          [&] {
            fit_regression(x, y, w);
            return save();
          },
          deadline.at);
      if (child.stopped) {
        r.status = "stopped";
        r.reason = "the deadline passed during the ridge solve (run in a child process, which was stopped)";
        r.usable = false;
        return r;
      }
      load(child.bytes);
      return r;
    }
    fit_logistic(x, y, w, ctx.threads, deadline, r);
    return r;
  }

  void fit_logistic(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, int threads,
                    const Deadline& deadline, FitResult& r) {
    const size_t classes = std::max<size_t>(shape_.classes, 2);
    nr_class_ = static_cast<int>(classes);
    softmax_ = classes > 2 && multinomial_;
    // Score column c predicts class labels_[c]: two classes have one score, class 1's log-odds.
    labels_.resize(classes);
    for (size_t c = 0; c < classes; ++c) labels_[c] = static_cast<int>(c);
    if (classes == 2) labels_ = {1, 0};
    // Weighted class shares, for the starting intercepts.
    std::vector<double> share(classes, 0);
    double total = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      const double s = w.empty() ? 1.0 : w[i];
      const size_t c = static_cast<size_t>(y[i]);
      if (c < classes) share[c] += s;
      total += s;
    }
    auto log_odds = [&](size_t c) { return std::log((share[c] + 1e-3) / (total - share[c] + 1e-3)); };
    const double inv_c = l1_ ? 0.0 : 1.0 / c_;  // with L1, the L2 term is off and |w|_1 / C added
    int evaluations = 0;
    bool stopped = false;
    if (classes == 2 || softmax_) {
      // One solve: class 1's log-odds, or the softmax over all classes.
      const size_t k = softmax_ ? classes : 1;
      Eigen::VectorXd theta = Eigen::VectorXd::Zero(static_cast<Eigen::Index>((x.cols + 1) * k));
      for (size_t c = 0; c < k; ++c)
        theta(static_cast<Eigen::Index>(x.cols * k + c)) =
            k == 1 ? log_odds(1) : std::log((share[c] + 1e-3) / (total + 1e-3));
      LogisticObjective objective(x, y, w, k, 1, inv_c, threads, deadline);
      stopped = !(l1_ ? solve_l1(objective, c_, k, theta) : solve(objective, theta));
      evaluations = objective.evaluations();
      w_.assign(theta.data(), theta.data() + theta.size());
    } else {
      // One-vs-rest: a binary solve per class, the probabilities normalized at prediction.
      w_.assign((x.cols + 1) * classes, 0.0);
      for (size_t c = 0; c < classes && !stopped; ++c) {
        Eigen::VectorXd theta = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(x.cols + 1));
        theta(static_cast<Eigen::Index>(x.cols)) = log_odds(c);
        LogisticObjective objective(x, y, w, 1, static_cast<int>(c), inv_c, threads, deadline);
        stopped = !(l1_ ? solve_l1(objective, c_, 1, theta) : solve(objective, theta));
        evaluations += objective.evaluations();
        for (size_t j = 0; j <= x.cols; ++j) w_[j * classes + c] = theta(static_cast<Eigen::Index>(j));
        if (stopped && c + 1 < classes) evaluations = 0;  // later classes never solved: no model
      }
    }
    if (stopped) {
      r.status = "stopped";
      r.usable = evaluations > 0;
      r.reason =
          std::string(l1_ ? "the deadline passed during the L-BFGS-B solve" : "the deadline passed during the L-BFGS solve") +
          std::string(r.usable ? "; the best point so far is kept (not converged)" : ", before every class was fitted");
    }
  }

  // Minimizes from theta, leaving the best point found in it. False when the deadline passed.
  static bool solve(LogisticObjective& objective, Eigen::VectorXd& theta) {
    LBFGSpp::LBFGSParam<double> param;
    param.m = 10;
    param.epsilon = 1e-6;  // gradient norm of the mean objective
    param.epsilon_rel = 1e-6;
    param.past = 1;  // or a relative decrease of the objective under 1e-9 in an iteration
    param.delta = 1e-9;
    param.max_iterations = 1000;
    param.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_WOLFE;
    LBFGSpp::LBFGSSolver<double> solver(param);
    double fx = 0;
    try {
      solver.minimize(objective, theta, fx);
    } catch (const DeadlinePassed&) {
      if (objective.best().size() == theta.size()) theta = objective.best();
      return false;
    } catch (const std::exception&) {
      // The line search found no further decrease (at the optimum up to rounding): the lowest
      // point evaluated is kept, if any had a finite loss.
      if (objective.best().size() == theta.size()) theta = objective.best();
    }
    return true;
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
    // Two classes: the sigmoid of the score. More: the softmax of the scores (multinomial), or
    // each class's one-vs-rest sigmoid, normalized over the classes (one-vs-rest, the default
    // before 2026-12-06, and what the liblinear solver of earlier versions saved).
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
      } else if (softmax_) {
        const double m = *std::max_element(dec.begin(), dec.end());
        double sum = 0;
        for (int c = 0; c < nr_class_; ++c)
          sum += prob[static_cast<size_t>(c)] = std::exp(dec[static_cast<size_t>(c)] - m);
        for (auto& p : prob) p /= sum;
      } else {  // one-vs-rest
        double sum = 0;
        for (int c = 0; c < nr_class_; ++c)
          sum += prob[static_cast<size_t>(c)] = 1 / (1 + std::exp(-dec[static_cast<size_t>(c)]));
        for (auto& p : prob) p /= sum;
      }
      for (int c = 0; c < nr_class_; ++c)
        out[i * k + static_cast<size_t>(labels_[static_cast<size_t>(c)])] =
            static_cast<float>(prob[static_cast<size_t>(c)]);
    }
    return out;
  }

  std::string save() const override {
    return nlohmann::json{
        {"cols", cols_}, {"nr_class", nr_class_}, {"labels", labels_}, {"softmax", softmax_}, {"w", w_}}
        .dump();
  }
  void load(const std::string& bytes) override {
    auto j = nlohmann::json::parse(bytes);
    cols_ = j.at("cols");
    nr_class_ = j.at("nr_class");
    labels_ = j.at("labels").get<std::vector<int>>();
    w_ = j.at("w").get<std::vector<double>>();
    softmax_ = j.value("softmax", false);
  }

 private:
  // Minimize sum w_i (t_i - b - x_i.w)^2 + |w|_1 / C on the target standardized by its
  // weighted mean and standard deviation, t = (y - mean) / sd, the intercept b unpenalized;
  // then back to y's units. Unlike ridge's, the lasso's solution does not scale with the
  // target: without this, a C that suits a target of unit spread would leave one in dollars
  // unpenalized and set every weight of one in thousandths to 0.
  void fit_lasso(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, const Deadline& deadline,
                 FitResult& r) {
    const double total = total_weight_of(y.size(), w);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < y.size(); ++i) sum += (w.empty() ? 1.0 : w[i]) * y[i];
    const double mean = sum / total;
    for (size_t i = 0; i < y.size(); ++i) sum2 += (w.empty() ? 1.0 : w[i]) * (y[i] - mean) * (y[i] - mean);
    const double sd = sum2 > 0 ? std::sqrt(sum2 / total) : 1.0;
    std::vector<float> t(y.size());
    for (size_t i = 0; i < y.size(); ++i) t[i] = static_cast<float>((y[i] - mean) / sd);
    SquaresObjective objective(x, t, w, deadline);
    Eigen::VectorXd theta = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(x.cols + 1));
    if (!solve_l1(objective, c_, 1, theta)) {
      r.status = "stopped";
      r.usable = objective.evaluations() > 0;
      r.reason = "the deadline passed during the L-BFGS-B solve; the best point so far is kept (not converged)";
    }
    theta *= sd;
    theta(static_cast<Eigen::Index>(x.cols)) += mean;
    w_.assign(theta.data(), theta.data() + theta.size());
  }

  // The ridge fit of the loss judged: least squares, or for mae the least absolute error by
  // iteratively reweighted least squares (each row weighted 1 / |its residual|, the weights
  // rescaled to the rows' own total so that C keeps its strength against the data).
  void fit_regression(const Matrix& x, const std::vector<float>& y, const std::vector<float>& wt) {
    fit_ridge(x, y, wt);
    if (!shape_.absolute_loss || y.empty()) return;
    const size_t n = y.size();
    double total = 0;
    for (size_t i = 0; i < n; ++i) total += wt.empty() ? 1.0 : wt[i];
    std::vector<float> w2(n);
    std::vector<double> r(n);
    // The weighted absolute residuals of the current fit, and their sum.
    auto residuals = [&] {
      double sum = 0;
      for (size_t i = 0; i < n; ++i) {
        double s = w_.back();
        for (size_t j = 0; j < x.cols; ++j) s += w_[j] * x.at(i, j);
        r[i] = std::abs(y[i] - s);
        sum += (wt.empty() ? 1.0 : wt[i]) * r[i];
      }
      return sum;
    };
    // Each reweighted solve lowers the sum of absolute residuals (a majorize-minimize step);
    // it stops once a step gains under 1e-5 of it, at most 30 solves (a few on most tables),
    // and keeps the lowest point.
    double loss = residuals(), best = loss;
    std::vector<double> best_w = w_;
    for (int it = 0; it < 30; ++it) {
      // A residual under a thousandth of the median one weighs as that: the loss's kink at 0,
      // smoothed, so that rows the line passes through do not take every weight.
      std::vector<double> sorted = r;
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n / 2), sorted.end());
      const double floor = std::max(1e-9, 1e-3 * sorted[n / 2]);
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += (w2[i] = static_cast<float>((wt.empty() ? 1.0 : wt[i]) / std::max(r[i], floor)));
      for (float& v : w2) v = static_cast<float>(v * total / sum);
      fit_ridge(x, y, w2);
      const double now = residuals();
      if (now < best) best = now, best_w = w_;
      if (loss - now <= 1e-5 * loss) break;
      loss = now;
    }
    w_ = best_w;
  }

  void fit_ridge(const Matrix& x, const std::vector<float>& y, const std::vector<float>& wt) {
    // Minimize sum w_i (y_i - b - x_i.w)^2 + (1/C) |w|^2, the intercept b unpenalized.
    const Eigen::Index n = static_cast<Eigen::Index>(x.rows), d = static_cast<Eigen::Index>(x.cols);
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> xm(x.data.data(), n, d);
    // Rows scaled by sqrt(w_i), so that A'A is the weighted Gram matrix: one symmetric rank
    // update (half a GEMM's work, no n x d temporary for diag(w) A).
    Eigen::MatrixXd a(n, d + 1);
    a.leftCols(d) = xm.cast<double>();
    a.col(d).setOnes();
    Eigen::VectorXd yv(n);
    for (Eigen::Index i = 0; i < n; ++i) yv(i) = y[static_cast<size_t>(i)];
    if (!wt.empty()) {
      for (Eigen::Index i = 0; i < n; ++i) {
        const double r = std::sqrt(static_cast<double>(wt[static_cast<size_t>(i)]));
        a.row(i) *= r;
        yv(i) *= r;
      }
    }
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(d + 1, d + 1);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(a.transpose());
    gram.diagonal().head(d).array() += 1.0 / c_;
    Eigen::VectorXd rhs = a.transpose() * yv;
    Eigen::VectorXd sol = gram.selfadjointView<Eigen::Lower>().ldlt().solve(rhs);
    w_.assign(sol.data(), sol.data() + sol.size());
  }

  TaskShape shape_;
  double c_;
  size_t cols_ = 0;
  bool multinomial_ = false;
  bool l1_ = false;
  int nr_class_ = 0;
  bool softmax_ = false;
  std::vector<int> labels_;
  std::vector<double> w_;
};

}  // namespace

Family linear_family() {
  Family f;
  f.name = "linear";
  f.description =
      "L2- or L1-regularized logistic regression (L-BFGS, L-BFGS-B; one-vs-rest or multinomial for several "
      "classes) or ridge / lasso regression (Eigen, L-BFGS-B). An exact solver: no learning rate to tune.";
  f.params = {
      {"C", ParamSpec::Kind::real, 1.0, 1e-6, 1e6, {}, "inverse penalty strength: larger C, weaker regularization", true},
      {"penalty",
       ParamSpec::Kind::choice,
       "l2",
       0,
       0,
       {"l2", "l1"},
       "l2: |w|^2 / 2C with the summed log loss, |w|^2 / C with the sum of squares (ridge); l1: |w|_1 / C "
       "with the log loss, or with the standardized target's sum of squares (the lasso); weights the data does "
       "not pay for are exactly 0",
       false},
      {"multiclass",
       ParamSpec::Kind::choice,
       "multinomial",
       0,
       0,
       {"ovr", "multinomial"},
       "several classes: one softmax fit (the default, as sklearn's lbfgs), or one-vs-rest binary fits",
       false}};
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
