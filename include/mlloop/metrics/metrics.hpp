// Metrics with confidence intervals, and paired comparisons of two models on the same rows.
// Intervals are 95%: the Wilson score interval for error rates, the normal-theory interval
// of the mean for rmse, mae and logloss on 2,000 rows or more, a seeded percentile bootstrap
// for everything else. CONTRACT.md reports metrics as losses (auc -> 1 - AUC,
// f1 -> 1 - F1); `as_loss` does that conversion.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlloop::metrics {

// Predictions of one model on a set of rows, with the truth.
struct Predictions {
  bool classification = true;
  size_t classes = 0;          // K, for classification
  std::vector<int32_t> y;      // class index 0..K-1 (classification); -1: a class unseen in training
  std::vector<float> proba;    // n x K, row-major (classification)
  std::vector<double> target;  // true values (regression)
  std::vector<double> value;   // predicted values (regression)
  int32_t positive = 1;        // the positive class for binary auc and f1

  size_t rows() const { return classification ? y.size() : target.size(); }
  int32_t predicted_class(size_t i) const;
};

struct Interval {
  double value = 0, low = 0, high = 0;
};

// Names: error, balanced_error, logloss, auc, f1, ece (classification); rmse, mae, r2
// (regression). AUC and F1 are binary for 2 classes, macro one-vs-rest above.
const std::vector<std::string>& classification_metrics();
const std::vector<std::string>& regression_metrics();
bool higher_is_better(std::string_view name);
double as_loss(std::string_view name, double value);

// An interval of the metric as an interval of its loss (for auc and f1 the ends swap).
Interval as_loss(std::string_view name, const Interval& interval);

// A loss as a person reads it, after the metric's name: "auc 0.7806 (as a loss 0.2194)" for a
// metric where higher is better (the loss 1 - auc would read as a poor AUC), else "error 0.0854".
std::string said(std::string_view name, double loss);

// The metric on the rows `idx` (all rows when empty). Throws std::invalid_argument for an
// unknown name (a programming error: names are validated where users give them).
double compute(std::string_view name, const Predictions& p, const std::vector<size_t>& idx = {});

// A proportion (`rate` of `n` trials) with Wilson's 95% score interval.
Interval wilson(double rate, size_t n);

// The metric with its 95% interval: Wilson's score interval for the error rate; for a mean of
// per-row terms (rmse, mae, logloss) on 2,000 rows or more, the normal-theory interval of the
// mean, mapped through the metric; otherwise a percentile bootstrap of `bootstrap` resamples
// drawn from `seed`.
Interval with_interval(std::string_view name, const Predictions& p, uint64_t seed, int bootstrap = 1000);

// A paired comparison of models A and B on the same rows: the loss difference A - B (so a
// positive difference means B is better), its 95% interval and a two-sided p-value.
// McNemar's exact test for error; a paired bootstrap for the rest.
struct Paired {
  double diff = 0, low = 0, high = 0, p_value = 1;
  bool b_better_significant = false;  // p < 0.05 and B has the lower loss
  std::string test;                   // "mcnemar", "sign_flip" or "paired_bootstrap"
  int resamples = 0;                  // a bootstrap's: its smallest nonzero p-value is 2 / resamples
};
Paired compare(std::string_view name, const Predictions& a, const Predictions& b, uint64_t seed, int bootstrap = 1000);

// The same comparison over repeated out-of-fold predictions: a[r] and b[r] are repeat r's
// predictions of A and B, every repeat on the same rows in the same order (each repeat's
// folds differ, so a row's R predictions come from R different fits). The difference is the
// mean over repeats; rows, not row-repeats, are the independent units. For error, each row's
// difference averaged over the repeats (a multiple of 1/R) goes into a paired sign-flip test,
// exact up to 500 rows that differ and normal beyond ("sign_flip"); with one repeat that is
// McNemar's exact test, and compare() is used. For the rest, a paired bootstrap that resamples
// rows with all their repeats. Averaging the repeats takes out the noise of one fold
// assignment, which a single repeat's test counts against a real difference.
Paired compare_repeated(std::string_view name, const std::vector<Predictions>& a, const std::vector<Predictions>& b,
                        uint64_t seed, int bootstrap = 1000);

}  // namespace mlloop::metrics
