// gbdt: gradient-boosted trees with the XGBoost C API (hist method). Early stopping
// watches a validation slice carved from train (never train-dev); the rounds it keeps are
// then fitted again on every training row (`refit`, Family::refit). Trees read missing values
// as NaN and categoricals as their codes: split by ranges of codes, or (categories =
// "native") by any grouping of the levels, XGBoost's partition splits. A regression target is
// fitted standardized (its training mean and standard deviation), and predictions are mapped
// back: XGBoost's split gains scale with the target's square and it takes no split whose gain
// is under 1e-6, so a target measured in millionths got no tree at all (dev RMSE 3.6e-6 against
// the mean's 3.6e-6, an mlp's 1.3e-7), and its first rounds went to reaching the mean from a
// base score of 0.5 (prices in the thousands); the fit now starts at the mean (base score 0).
#include <xgboost/c_api.h>

#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "mlloop/core/context.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop {
namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(fmt::format("XGBoost {} failed: {}", what, XGBGetLastError()));
}

struct DMatrix {
  DMatrixHandle h = nullptr;
  DMatrix(const Matrix& x, const std::vector<float>* y, const std::vector<float>* w, int threads, bool native_categories) {
    check(XGDMatrixCreateFromMat_omp(x.data.data(), x.rows, x.cols, std::numeric_limits<float>::quiet_NaN(), &h, threads),
          "DMatrix creation");
    if (native_categories && x.categorical.size() == x.cols) {
      std::vector<const char*> types(x.cols);
      for (size_t j = 0; j < x.cols; ++j) types[j] = x.categorical[j] ? "c" : "q";
      check(XGDMatrixSetStrFeatureInfo(h, "feature_type", types.data(), types.size()), "set feature types");
    }
    if (y) check(XGDMatrixSetFloatInfo(h, "label", y->data(), y->size()), "set label");
    if (w && !w->empty()) check(XGDMatrixSetFloatInfo(h, "weight", w->data(), w->size()), "set weight");
  }
  ~DMatrix() {
    if (h) XGDMatrixFree(h);
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
};

struct Booster {
  BoosterHandle h = nullptr;
  explicit Booster(std::vector<DMatrixHandle> cache) {
    check(XGBoosterCreate(cache.data(), cache.size(), &h), "booster creation");
  }
  ~Booster() {
    if (h) XGBoosterFree(h);
  }
  void set(const std::string& k, const std::string& v) { check(XGBoosterSetParam(h, k.c_str(), v.c_str()), "set param"); }
};

// "[3]\ttrain-logloss:0.12\tvalid-logloss:0.20" -> the values in order.
std::vector<double> parse_eval(const char* s) {
  std::vector<double> out;
  for (const char* p = s; (p = std::strchr(p, ':')) != nullptr; ++p) out.push_back(std::strtod(p + 1, nullptr));
  return out;
}

class Gbdt final : public Model {
 public:
  Gbdt(const Params& p, TaskShape shape) : params_(p), shape_(shape) {}

  FitResult fit(const Matrix& x, const std::vector<float>& y, const std::vector<float>& w, const Matrix* vx,
                const std::vector<float>* vy, const Context& ctx, const Deadline& deadline) override {
    FitResult r;
    threads_ = ctx.threads;
    target_ = TargetScale{};
    std::vector<float> ys, vys;
    if (!shape_.classification) {
      target_ = TargetScale::of(y, w);
      ys = target_.to_fit(y);
      if (vy) vys = target_.to_fit(*vy);
    }
    const std::vector<float>* yt = shape_.classification ? &y : &ys;
    const std::vector<float>* yv = shape_.classification || !vy ? vy : &vys;
    DMatrix train(x, yt, &w, threads_, native());
    std::unique_ptr<DMatrix> valid;
    if (vx && yv && vx->rows > 0) valid = std::make_unique<DMatrix>(*vx, yv, nullptr, threads_, native());
    std::vector<DMatrixHandle> cache = {train.h};
    if (valid) cache.push_back(valid->h);
    booster_ = std::make_shared<Booster>(cache);
    configure(*booster_, ctx);
    const int rounds = static_cast<int>(params_.at("rounds").get<int64_t>());
    const int patience = static_cast<int>(params_.at("early_stopping").get<int64_t>());
    double best = std::numeric_limits<double>::infinity();
    int best_round = -1;
    std::vector<DMatrixHandle> evals = {train.h};
    std::vector<const char*> names = {"train"};
    if (valid) {
      evals.push_back(valid->h);
      names.push_back("valid");
    }
    for (int it = 0; it < rounds; ++it) {
      if (deadline.passed()) {
        r.status = "stopped";
        r.reason = fmt::format("deadline reached after {} rounds", it);
        break;
      }
      check(XGBoosterUpdateOneIter(booster_->h, it, train.h), "training round");
      const char* ev = nullptr;
      check(XGBoosterEvalOneIter(booster_->h, it, evals.data(), names.data(), evals.size(), &ev), "evaluation");
      auto v = parse_eval(ev);
      // Regression's RMSE back on the target's scale (the classes' log loss has none).
      CurvePoint pt{it + 1, v.empty() ? NAN : v[0] * target_.scale, v.size() > 1 ? v[1] * target_.scale : NAN};
      r.curve.push_back(pt);
      if (ctx.progress) ctx.progress(it + 1, rounds);
      if (!std::isfinite(pt.train_loss)) {
        r.status = "diverged";
        r.reason = fmt::format("training loss became {} at round {}", pt.train_loss, it + 1);
        break;
      }
      double watch = valid ? pt.valid_loss : pt.train_loss;
      if (watch < best - 1e-12) {
        best = watch;
        best_round = it;
      } else if (valid && patience > 0 && it - best_round >= patience) {
        break;
      }
    }
    int done = 0;
    check(XGBoosterBoostedRounds(booster_->h, &done), "rounds");
    best_rounds_ = valid && best_round >= 0 ? best_round + 1 : done;
    r.best_step = best_rounds_;
    // Stopped before its first round: no tree to predict with (XGBoost would read an end of 0
    // as "every tree" and predict the base score).
    r.usable = done > 0;
    return r;
  }

  std::vector<float> predict(const Matrix& x) const override {
    DMatrix d(x, nullptr, nullptr, threads_, native());
    std::string cfg = fmt::format(
        R"({{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": {}, "strict_shape": false}})", best_rounds_);
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* res = nullptr;
    check(XGBoosterPredictFromDMatrix(booster_->h, d.h, cfg.c_str(), &shape, &dim, &res), "prediction");
    if (shape_.classification && shape_.classes == 2) {
      std::vector<float> out(x.rows * 2);
      for (size_t i = 0; i < x.rows; ++i) {
        out[2 * i + 1] = res[i];
        out[2 * i] = 1.f - res[i];
      }
      return out;
    }
    size_t n = x.rows * (shape_.classification ? shape_.classes : 1);
    std::vector<float> out(res, res + n);
    if (!shape_.classification)
      for (float& v : out) v = static_cast<float>(v * target_.scale + target_.center);
    return out;
  }

  std::vector<double> feature_importance() const override {
    bst_ulong nfeat = 0, dim = 0;
    const char** names = nullptr;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    check(XGBoosterFeatureScore(booster_->h, R"({"importance_type": "total_gain"})", &nfeat, &names, &dim, &shape, &scores),
          "feature importance");
    bst_ulong ncols = 0;
    check(XGBoosterGetNumFeature(booster_->h, &ncols), "feature count");
    std::vector<double> out(ncols, 0.0);
    double total = 0;
    for (bst_ulong i = 0; i < nfeat; ++i) {
      // Unnamed features are called f0, f1, ...; unused ones are left out.
      size_t j = std::strtoul(names[i] + 1, nullptr, 10);
      if (j < out.size()) {
        out[j] = scores[i];
        total += scores[i];
      }
    }
    if (total > 0)
      for (auto& v : out) v /= total;
    return out;
  }

  // Bytes: the magic, the rounds kept, the target's center and scale, XGBoost's model (UBJSON).
  // A model saved before the target was standardized has no magic: its rounds come first, and
  // its trees predict on the target's own scale.
  std::string save() const override {
    bst_ulong len = 0;
    const char* buf = nullptr;
    check(XGBoosterSaveModelToBuffer(booster_->h, R"({"format": "ubj"})", &len, &buf), "save");
    std::string bytes(kMagic, sizeof(kMagic));
    bytes.append(reinterpret_cast<const char*>(&best_rounds_), sizeof(best_rounds_));
    bytes.append(reinterpret_cast<const char*>(&target_.center), sizeof(target_.center));
    bytes.append(reinterpret_cast<const char*>(&target_.scale), sizeof(target_.scale));
    bytes.append(buf, len);
    return bytes;
  }

  void load(const std::string& bytes) override {
    const bool tagged = bytes.compare(0, sizeof(kMagic), kMagic, sizeof(kMagic)) == 0;
    size_t at = tagged ? sizeof(kMagic) : 0;
    auto take = [&](auto& v) {
      if (bytes.size() < at + sizeof(v)) throw std::runtime_error("XGBoost load failed: the saved model is truncated");
      std::memcpy(&v, bytes.data() + at, sizeof(v));
      at += sizeof(v);
    };
    take(best_rounds_);
    target_ = TargetScale{};
    if (tagged) {
      take(target_.center);
      take(target_.scale);
    }
    booster_ = std::make_shared<Booster>(std::vector<DMatrixHandle>{});
    check(XGBoosterLoadModelFromBuffer(booster_->h, bytes.data() + at, bytes.size() - at), "load");
    booster_->set("nthread", std::to_string(threads_));
  }

 private:
  static constexpr char kMagic[8] = {'m', 'l', 'g', 'b', 'd', 't', '2', '\n'};

  // Absent from runs stored before the parameter existed: codes.
  bool native() const { return params_.value("categories", std::string("codes")) == "native"; }

  void configure(Booster& b, const Context& ctx) const {
    b.set("tree_method", "hist");
    b.set("nthread", std::to_string(ctx.threads));
    b.set("seed", std::to_string(ctx.seed % 2147483647));
    b.set("verbosity", "0");
    if (!shape_.classification) {
      // Squared error for mae too: XGBoost 1.7's reg:absoluteerror (gradients of +-1) erred 0.465
      // where squared error erred 0.312 in mae, 5-fold on regression_underfit (3,000 rows of
      // Gaussian noise), both early-stopped on their own metric.
      b.set("objective", "reg:squarederror");
      // The standardized target's mean (XGBoost 1.7 starts every regression at 0.5).
      b.set("base_score", "0");
    } else if (shape_.classes == 2) {
      b.set("objective", "binary:logistic");
      b.set("eval_metric", "logloss");
    } else {
      b.set("objective", "multi:softprob");
      b.set("num_class", std::to_string(shape_.classes));
      b.set("eval_metric", "mlogloss");
    }
    for (const char* k : {"eta", "max_depth", "min_child_weight", "subsample", "colsample_bytree", "lambda", "alpha", "max_bin"}) {
      if (!params_.contains(k)) continue;  // max_bin: absent from runs stored before it existed (XGBoost's default, 256)
      const auto& v = params_.at(k);
      b.set(k, v.is_number_integer() ? std::to_string(v.get<int64_t>()) : fmt::format("{}", v.get<double>()));
    }
  }

  Params params_;
  TaskShape shape_;
  std::shared_ptr<Booster> booster_;
  int best_rounds_ = 0;
  int threads_ = 2;
  TargetScale target_;  // regression: the target as fitted
};

}  // namespace

void register_gbdt(Registry& r) {
  using K = ParamSpec::Kind;
  Family f;
  f.name = "gbdt";
  f.description = "Gradient-boosted trees (XGBoost, hist method) with early stopping on a slice of train.";
  f.params = {
      {"eta", K::real, 0.1, 1e-4, 1.0, {}, "learning rate (shrinkage) of each round", true},
      {"max_depth", K::integer, 6, 1, 20, {}, "maximum depth of a tree", false},
      {"min_child_weight", K::real, 1.0, 0.0, 1e4, {}, "minimum hessian weight in a leaf", true},
      {"subsample", K::real, 0.8, 0.05, 1.0, {}, "fraction of rows sampled per tree", false},
      {"colsample_bytree", K::real, 0.8, 0.05, 1.0, {}, "fraction of columns sampled per tree", false},
      {"lambda", K::real, 1.0, 0.0, 1e4, {}, "L2 regularization of leaf weights", true},
      {"alpha", K::real, 0.0, 0.0, 1e4, {}, "L1 regularization of leaf weights", false},
      {"rounds", K::integer, 500, 1, 100000, {}, "maximum boosting rounds", true},
      {"early_stopping", K::integer, 30, 0, 10000, {}, "stop after this many rounds without improvement on the early-stopping slice (0: off: no slice, every training row fits, all rounds kept)", false},
      {"refit", K::boolean, true, 0, 0, {},
       "after early stopping, fit again on every training row (the early-stopping slice included) for the rounds it kept",
       false},
      {"max_bin", K::integer, 256, 2, 4096, {}, "histogram bins per feature: the split points a tree can choose from", false},
      {"categories", K::choice, "codes", 0, 0, {"codes", "native"},
       "how a split reads a category: codes (ranges of its levels' codes, in frequency order) or native (any grouping of its levels, XGBoost's partition splits)",
       false},
  };
  f.standardize = false;
  f.create = [](const Params& p, const TaskShape& s) { return std::make_unique<Gbdt>(p, s); };
  // Early stopping found how many rounds this table wants; the slice's 10% of the rows then
  // train too (absent from runs stored before the parameter existed: no refit).
  f.refit = [](const Params& p, int64_t best_step) -> std::optional<Params> {
    if (!p.value("refit", false) || p.value("early_stopping", int64_t{0}) <= 0) return std::nullopt;
    Params q = p;
    q["rounds"] = best_step;
    q["early_stopping"] = 0;
    return q;
  };
  f.step_up = [](const Params& p) -> std::optional<Params> {
    Params q = p;
    int64_t d = p.at("max_depth");
    if (d < 12) {
      q["max_depth"] = d + 2;
      return q;
    }
    if (p.at("rounds").get<int64_t>() < 5000) {
      q["rounds"] = p.at("rounds").get<int64_t>() * 2;
      return q;
    }
    return std::nullopt;
  };
  f.step_down = [](const Params& p) -> std::optional<Params> {
    Params q = p;
    int64_t d = p.at("max_depth");
    if (d > 2) {
      q["max_depth"] = d - 2;
      return q;
    }
    return std::nullopt;
  };
  r.add(std::move(f));
}

}  // namespace mlloop
