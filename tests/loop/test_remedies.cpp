// What remedies propose for a given incumbent, with a trainer that only records: each case is
// one a wrong candidate list gets wrong (a missed family, a setting the incumbent already has).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "mlloop/loop/policy.hpp"
#include "mlloop/loop/remedy.hpp"

namespace mlloop {
namespace {

class Recorder final : public CandidateTrainer {
 public:
  double train(const Candidate& c) override {
    seen.push_back(c);
    return 0.5;
  }
  bool out_of_time() const override { return false; }
  std::vector<Candidate> seen;
};

struct Fixture {
  ProjectConfig config;
  Registry registry;
  LoopView view;
  Fixture(const std::string& model, Task task) {
    register_builtins(registry);
    config.task = task;
    view.config = &config;
    view.registry = &registry;
    view.incumbent.id = 1;
    view.incumbent.model = model;
    view.incumbent.params = resolve_params(registry.get(model), Params::object());
  }
  // The incumbent already trains on `copies` noisy copies of each row, noise std `sigma`.
  Fixture& noisy(double sigma, int copies) {
    view.incumbent_recipe.noise = sigma;
    view.incumbent_recipe.noise_copies = copies;
    return *this;
  }
  std::vector<Candidate> propose(const std::string& remedy) {
    const Remedy* r = find_remedy(remedy);
    EXPECT_NE(r, nullptr) << remedy;
    Recorder rec;
    if (r && r->applies(view)) r->implement(view, rec);
    return rec.seen;
  }
};

TEST(Remedies, SwitchFromABaselineIncumbentTriesEveryFlexibleClass) {
  // A baseline incumbent means linear did no better than a constant: the mlp must not wait
  // for gbdt to be tuned first (regression_underfit's sine gets half its error from an mlp).
  Fixture f("baseline", Task::regression);
  std::set<std::string> families;
  for (const auto& c : f.propose("switch_model_class")) families.insert(c.family);
  EXPECT_EQ(families, (std::set<std::string>{"linear", "gbdt", "mlp", "knn"}));
}

// The policy's reason names what the incumbent is: a baseline incumbent at the first iteration
// means the linear model did no better on dev (on an XOR boundary, half the time), so "a baseline
// model cannot bend" would misread it.
TEST(Policy, AvoidableBiasOnABaselineIncumbentSaysLinearDidNoBetter) {
  Fixture f("baseline", Task::binary);
  f.view.diagnosis = {{"bottleneck", "avoidable_bias"},
                      {"errors", {{"train", {{"value", 0.49}}}, {"train_dev", {{"value", 0.5}}}, {"dev", {{"value", 0.49}}},
                                  {"optimal", {{"value", 0.05}, {"low", 0.04}, {"high", 0.06}}}}},
                      {"gaps", {{"avoidable_bias", 0.43}, {"variance", 0.01}}},
                      {"memorization", nullptr},
                      {"label_issues", nullptr}};
  auto reason = [&] {
    auto choices = rank_remedies(f.view);
    EXPECT_FALSE(choices.empty());
    EXPECT_EQ(choices.empty() ? "" : choices[0].remedy, "switch_model_class");
    return choices.empty() ? std::string() : choices[0].reason;
  };
  std::string r = reason();
  EXPECT_NE(r.find("avoidable bias of 43.0% dominates"), std::string::npos) << r;
  EXPECT_NE(r.find("the baseline ignores the features; trying the model classes that use them"), std::string::npos) << r;
  RunRecord linear;
  linear.id = 2;
  linear.model = "linear";
  linear.status = "done";
  f.view.runs.push_back(linear);
  r = reason();
  EXPECT_NE(r.find("the linear model did no better on dev"), std::string::npos) << r;
  EXPECT_EQ(r.find("cannot bend"), std::string::npos) << r;
  // A linear incumbent keeps the seed article's words.
  f.view.incumbent.model = "linear";
  f.view.incumbent.params = resolve_params(f.registry.get("linear"), Params::object());
  r = reason();
  EXPECT_NE(r.find("a linear model cannot bend; trying a more flexible class"), std::string::npos) << r;
}

// knn joins the first switch: it costs a fraction of a second, and on classes that are mixtures
// of blobs it beats both (26 classes x 14,000 rows: knn 10.2% on dev, mlp 14.3%, gbdt 16.1%),
// where it used to come only after an mlp or gbdt incumbent had been regularized.
TEST(Remedies, SwitchFromLinearTriesGbdtThenMlpThenKnn) {
  Fixture f("linear", Task::binary);
  auto c = f.propose("switch_model_class");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].family, "gbdt");
  EXPECT_EQ(c[1].family, "mlp");
  EXPECT_EQ(c[2].family, "knn");
  // Its predictions cost rows^2 distances: above 50,000 training rows it is left out.
  f.view.train_rows = 60000;
  auto large = f.propose("switch_model_class");
  ASSERT_EQ(large.size(), 2u);
  EXPECT_EQ(large[1].family, "mlp");
}

TEST(Remedies, SwitchFromAFlexibleModelGoesBackToLinearOnlyAgainstVariance) {
  // Variance on a flexible incumbent: the simpler class, plain and with the lasso, comes
  // first. Against avoidable bias a linear model is no answer, so it is not proposed.
  for (const std::string model : {"gbdt", "mlp", "knn"}) {
    Fixture f(model, Task::binary);
    f.view.diagnosis = {{"bottleneck", "variance"}};
    auto c = f.propose("switch_model_class");
    ASSERT_GE(c.size(), 5u) << model;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(c[i].family, "linear") << model;
    EXPECT_EQ(c[0].params.value("penalty", "l2"), "l2");
    std::set<double> l1;
    for (int i = 1; i < 3; ++i) {
      EXPECT_EQ(c[i].params.at("penalty"), "l1") << c[i].label;
      l1.insert(c[i].params.at("C").get<double>());
    }
    EXPECT_EQ(l1, (std::set<double>{1.0, 0.1}));
    for (size_t i = 3; i < c.size(); ++i) EXPECT_NE(c[i].family, "linear");
    EXPECT_NE(c[3].family, model);

    f.view.diagnosis = {{"bottleneck", "avoidable_bias"}};
    for (const auto& d : f.propose("switch_model_class")) EXPECT_NE(d.family, "linear") << model;
  }
}

TEST(Remedies, AugmentStartsWithOneNoisyCopy) {
  Fixture f("mlp", Task::regression);
  auto c = f.propose("augment");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].recipe.noise_copies, 1);
  EXPECT_DOUBLE_EQ(c[0].recipe.noise, 0.1);
  EXPECT_DOUBLE_EQ(c[1].recipe.noise, 0.3);
}

TEST(Remedies, AugmentOnANoisyIncumbentNeverProposesItsOwnSetting) {
  Fixture f("mlp", Task::regression);
  auto c = f.noisy(0.1, 1).propose("augment");
  ASSERT_EQ(c.size(), 2u);
  for (const auto& k : c)
    EXPECT_FALSE(k.recipe.noise == 0.1 && k.recipe.noise_copies == 1) << k.label;
  EXPECT_DOUBLE_EQ(c[0].recipe.noise, 0.05);
  EXPECT_EQ(c[0].recipe.noise_copies, 1);
  EXPECT_DOUBLE_EQ(c[1].recipe.noise, 0.1);
  EXPECT_EQ(c[1].recipe.noise_copies, 2);
  EXPECT_EQ(c[1].label, "2 noisy copies per row, noise std 0.1");
}

TEST(Remedies, AugmentStopsDoublingTheCopiesAtFour) {
  Fixture f("mlp", Task::regression);
  auto c = f.noisy(0.2, 4).propose("augment");
  ASSERT_EQ(c.size(), 2u);
  for (const auto& k : c) EXPECT_LE(k.recipe.noise_copies, 4) << k.label;
  EXPECT_DOUBLE_EQ(c[1].recipe.noise, 0.4);
}

TEST(Remedies, AugmentDoesNotOversampleTwice) {
  // gbdt reads raw features: its only augmentation is oversampling the minority classes.
  Fixture f("gbdt", Task::binary);
  f.config.metric = "f1";
  f.view.minority_share = 0.2;
  auto first = f.propose("augment");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[0].recipe.oversample);
  f.view.incumbent_recipe.oversample = true;
  EXPECT_FALSE(find_remedy("augment")->applies(f.view));
}

TEST(Remedies, CleanLabelsDoesNotDropTheSameSuspectsTwice) {
  // An incumbent that is clean_labels' own result drops every suspect already: its candidates
  // would be itself (the loop spent an iteration on "no candidate finished"). A suspect it
  // keeps makes the remedy apply again, and the candidates add to what it drops.
  Fixture f("linear", Task::binary);
  f.view.diagnosis = {{"label_issues", {{"rows", {7, 3, 11, 5}}}}};
  ASSERT_EQ(f.propose("clean_labels").size(), 2u);
  f.view.incumbent_recipe.drop_rows = {3, 5, 7, 11, 20};
  EXPECT_FALSE(find_remedy("clean_labels")->applies(f.view));
  f.view.incumbent_recipe.drop_rows = {3, 5, 7};
  auto c = f.propose("clean_labels");
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0].recipe.drop_rows, (std::vector<int64_t>{3, 5, 7, 11}));
}

TEST(Remedies, AugmentOversamplesOnlyForMetricsThatWeighTheMinorityClass) {
  // Under error or log loss, dev keeps train's class shares: oversampling works against the
  // metric. Under f1 and auc it is a candidate; the mlp's noisy copies are one under any.
  for (const std::string metric : {"error", "logloss", "f1", "auc"}) {
    const bool weighs = metric == "f1" || metric == "auc";
    Fixture g("gbdt", Task::binary);
    g.config.metric = metric;
    g.view.minority_share = 0.2;
    EXPECT_EQ(find_remedy("augment")->applies(g.view), weighs) << metric;
    Fixture m("mlp", Task::multiclass);
    m.config.metric = metric;
    m.view.minority_share = 0.2;
    bool oversampled = false;
    for (const auto& c : m.propose("augment")) oversampled = oversampled || c.recipe.oversample;
    EXPECT_EQ(oversampled, weighs) << metric;
  }
}

}  // namespace

TEST(Remedies, RegularizeALinearIncumbentTriesAStrongerL2ThenL1) {
  // L2 at C/10 and C/100, then L1 at C = 1 and 0.1 (the lasso's on the standardized target,
  // so the same C suits both tasks; an L2 strength says nothing of the L1 one). An incumbent
  // already on L1 gets only the stronger penalties, with L1 kept, in finer steps.
  for (Task task : {Task::binary, Task::regression}) {
    Fixture f("linear", task);
    auto c = f.propose("regularize");
    ASSERT_EQ(c.size(), 4u);
    const double want_c[4] = {0.1, 0.01, 1.0, 0.1};
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(c[i].params.value("penalty", "l2"), i < 2 ? "l2" : "l1") << i;
      EXPECT_DOUBLE_EQ(c[i].params.at("C").get<double>(), want_c[i]) << i;
    }
  }
  Fixture strong("linear", Task::binary);  // an L2 incumbent at C = 0.01: L1 still at 1, 0.1
  strong.view.incumbent.params["C"] = 0.01;
  auto s = strong.propose("regularize");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_DOUBLE_EQ(s[0].params.at("C").get<double>(), 0.001);
  EXPECT_DOUBLE_EQ(s[2].params.at("C").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s[3].params.at("C").get<double>(), 0.1);
  Fixture f("linear", Task::binary);
  f.view.incumbent.params["penalty"] = "l1";
  f.view.incumbent.params["C"] = 0.1;
  auto c = f.propose("regularize");
  ASSERT_EQ(c.size(), 2u);
  for (const auto& k : c) EXPECT_EQ(k.params.at("penalty"), "l1");
  // The lasso's steps are finer than L2's: 0.3x, then 0.1x.
  EXPECT_NEAR(c[0].params.at("C").get<double>(), 0.03, 1e-12);
  EXPECT_NEAR(c[1].params.at("C").get<double>(), 0.01, 1e-12);
}

TEST(Remedies, TuneALinearIncumbentSearchesCAroundItsOwn) {
  // Two decades either side of the incumbent's C, its penalty kept: an L1 incumbent at C 0.1
  // gets trials in [0.001, 10], not across [1e-3, 1e3] where most lasso fits are all-zero or
  // unpenalized.
  for (double inc_c : {0.1, 1.0, 50.0}) {
    Fixture f("linear", Task::binary);
    f.view.tune_trials = 8;
    f.view.incumbent.params["penalty"] = "l1";
    f.view.incumbent.params["C"] = inc_c;
    auto c = f.propose("tune_hyperparameters");
    ASSERT_EQ(c.size(), 8u) << inc_c;
    int below = 0, above = 0;
    for (const auto& k : c) {
      const double C = k.params.at("C").get<double>();
      EXPECT_GE(C, inc_c / 100 * (1 - 1e-12)) << inc_c;
      EXPECT_LE(C, inc_c * 100 * (1 + 1e-12)) << inc_c;
      EXPECT_EQ(k.params.at("penalty"), "l1");
      below += C < inc_c;
      above += C > inc_c;
    }
    EXPECT_GT(below, 0) << inc_c;
    EXPECT_GT(above, 0) << inc_c;
  }
}

TEST(Remedies, TuneAGbdtGivesEachTrialRoundsForItsStep) {
  // A gbdt round is worth eta: rung 1 gives every trial the progress of 60 rounds at the
  // default 0.1 (eta 0.02: 300 rounds, eta 0.3: 20), and the full budget the incumbent's 500
  // rounds and 30 rounds of patience times 0.1 / eta where that is more (at most 5,000 rounds).
  // At a fixed 60 rounds the small steps lost rung 1 to the large ones whatever else they had.
  Fixture f("gbdt", Task::binary);
  f.view.tune_trials = 8;
  auto c = f.propose("tune_hyperparameters");
  ASSERT_GE(c.size(), 9u);  // 8 on rung 1, then the best third (here: the first 3, all tied)
  int small = 0, large = 0;
  for (size_t i = 0; i < 8; ++i) {
    const double eta = c[i].params.at("eta").get<double>();
    const int64_t rung = c[i].params.at("rounds").get<int64_t>();
    EXPECT_NE(c[i].label.find("rung 1"), std::string::npos) << c[i].label;
    EXPECT_NEAR(static_cast<double>(rung), std::max<double>(1, std::min(60 * 0.1 / eta, 5000.0)), 0.5 + 1e-9) << eta;
    small += eta < 0.05;
    large += eta > 0.1;
  }
  EXPECT_GT(small, 0);  // the draw covers both ends (seeded)
  EXPECT_GT(large, 0);
  for (size_t i = 8; i < c.size(); ++i) {
    const double eta = c[i].params.at("eta").get<double>();
    EXPECT_EQ(c[i].label.find("rung"), std::string::npos) << c[i].label;
    EXPECT_NEAR(static_cast<double>(c[i].params.at("rounds").get<int64_t>()), std::min(std::max(500.0, 500 * 0.1 / eta), 5000.0), 0.5 + 1e-9);
    EXPECT_NEAR(static_cast<double>(c[i].params.at("early_stopping").get<int64_t>()), std::max(30.0, 30 * 0.1 / eta), 0.5 + 1e-9);
  }
  // An incumbent of more rounds than the cap keeps its own in every full trial.
  Fixture g("gbdt", Task::binary);
  g.view.tune_trials = 8;
  g.view.incumbent.params["rounds"] = 8000;
  auto d = g.propose("tune_hyperparameters");
  ASSERT_GE(d.size(), 9u);
  for (size_t i = 8; i < d.size(); ++i) EXPECT_EQ(d[i].params.at("rounds").get<int64_t>(), 8000) << d[i].label;
}

TEST(Remedies, RegularizeAGbdtIncumbentConstrainsItFurtherAndNeverLoosens) {
  // From the defaults (subsample and colsample 0.8): min_child_weight 5; subsample and
  // colsample 0.7 of theirs, 0.56; depth 3; lambda 10 with min_child_weight 3 and subsample 0.8.
  Fixture f("gbdt", Task::multiclass);
  auto c = f.propose("regularize");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_DOUBLE_EQ(c[0].params.at("min_child_weight").get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(c[1].params.at("subsample").get<double>(), 0.8 * 0.7);
  EXPECT_DOUBLE_EQ(c[1].params.at("colsample_bytree").get<double>(), 0.8 * 0.7);
  EXPECT_EQ(c[2].params.at("max_depth").get<int64_t>(), 3);
  EXPECT_DOUBLE_EQ(c[3].params.at("lambda").get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(c[3].params.at("subsample").get<double>(), 0.8);
  // Stored as the log shows it: 0.56, not 0.8 x 0.7's 0.5599999999999999 (in runs, --json and
  // the dashboard); a linear incumbent at C 0.1 gets 0.01, not 0.010000000000000002.
  EXPECT_EQ(c[1].params.at("subsample").dump(), "0.56");
  Fixture lin("linear", Task::binary);
  lin.view.incumbent.params["C"] = 0.1;
  auto l = lin.propose("regularize");
  ASSERT_FALSE(l.empty());
  EXPECT_EQ(l[0].params.at("C").dump(), "0.01") << l[0].label;
  // On incumbents the remedy (or a search) regularized already, every candidate differs from
  // the incumbent, and none is looser on any axis: before, an incumbent at subsample 0.7 got
  // itself back as a candidate, and subsample 0.8 with the stronger lambda.
  for (double sub : {0.7, 0.5, 0.3}) {
    Fixture g("gbdt", Task::multiclass);
    Params& inc = g.view.incumbent.params;
    inc["subsample"] = sub;
    inc["colsample_bytree"] = sub;
    inc["min_child_weight"] = 3.0;
    inc["lambda"] = 10.0;
    inc["max_depth"] = 2;
    auto k = g.propose("regularize");
    ASSERT_FALSE(k.empty()) << sub;
    for (const auto& cand : k) {
      const Params& q = cand.params;
      EXPECT_NE(q, inc) << cand.label;
      EXPECT_GE(q.at("min_child_weight").get<double>(), inc.at("min_child_weight").get<double>()) << cand.label;
      EXPECT_LE(q.at("subsample").get<double>(), sub) << cand.label;
      EXPECT_LE(q.at("colsample_bytree").get<double>(), sub) << cand.label;
      EXPECT_LE(q.at("max_depth").get<int64_t>(), 2) << cand.label;
      EXPECT_GE(q.at("lambda").get<double>(), 10.0) << cand.label;
    }
  }
}

TEST(Remedies, RegularizeAnMlpDecaysWeightsAtAStrengthItsOptimizerFeels) {
  // Weight decay within the incumbent's optimizer: 1e-3 as adam's L2 penalty; adamw's
  // decoupled decay starts at 1 (there 1e-3 changes next to nothing: see the mlp test WeightDecayAtRegularizesValuesMakesTheFitLessConfident).
  for (const char* opt : {"adam", "adamw"}) {
    Fixture f("mlp", Task::binary);
    f.view.incumbent.params["optimizer"] = opt;
    auto c = f.propose("regularize");
    const Candidate* decay = nullptr;
    for (const auto& k : c)
      if (k.params.at("weight_decay").get<double>() > 0) decay = &k;
    ASSERT_NE(decay, nullptr) << opt;
    EXPECT_EQ(decay->params.at("optimizer"), opt);
    EXPECT_DOUBLE_EQ(decay->params.at("weight_decay").get<double>(), std::string(opt) == "adamw" ? 1.0 : 1e-3) << opt;
  }
  // An adamw incumbent with a little decay already: up to 1, not ten times a no-op.
  Fixture f("mlp", Task::binary);
  f.view.incumbent.params["optimizer"] = "adamw";
  f.view.incumbent.params["weight_decay"] = 0.01;
  bool found = false;
  for (const auto& k : f.propose("regularize"))
    if (k.params.at("weight_decay").get<double>() != 0.01) {
      found = true;
      EXPECT_DOUBLE_EQ(k.params.at("weight_decay").get<double>(), 1.0);
    }
  EXPECT_TRUE(found);
}

TEST(Remedies, FreshDevSetSaysWhatMadeTheJudgesBiased) {
  // Two looks at the test set after one iteration: the reason names the looks, not "1
  // iterations" judged by dev, which is not what triggered it.
  Fixture f("linear", Task::binary);
  f.view.diagnosis = {{"bottleneck", "none"}};
  f.view.finished_iterations = 1;
  f.view.test_looks = 2;
  const Remedy* r = find_remedy("fresh_dev_set");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->applies(f.view));
  std::string why = r->recommend(f.view);
  EXPECT_NE(why.find("the test set was looked at 2 times"), std::string::npos) << why;
  EXPECT_EQ(why.find("iterations"), std::string::npos) << why;
  f.view.finished_iterations = 20;
  f.view.test_looks = 0;
  why = r->recommend(f.view);
  EXPECT_NE(why.find("dev has judged 20 iterations"), std::string::npos) << why;
  EXPECT_EQ(why.find("test set"), std::string::npos) << why;
}

TEST(Remedies, MoreDataQuotesTheLearningCurveInItsOwnLossAndOnlyWhenItStillFalls) {
  // With auc the project's figures are 1 - auc, the curve's the error rate: the advice quotes
  // the curve's own last point, never the dev auc beside a forecast of error. A curve that has
  // flattened forecasts nothing from more rows: no advice then.
  Fixture f("gbdt", Task::binary);
  f.config.metric = "auc";
  auto curve = [](double now, double at10) {
    return nlohmann::json{{"extrapolated", true}, {"loss", "error"}, {"model", "gbdt"},
                          {"points", {{{"rows", 1000}, {"dev", now + 0.02}}, {{"rows", 4000}, {"dev", now}}}},
                          {"predicted_dev_at_2x", (now + at10) / 2}, {"predicted_dev_at_10x", at10}};
  };
  f.view.diagnosis = {{"bottleneck", "variance"}, {"learning_curve", curve(0.0540, 0.0400)}};
  const Remedy* r = find_remedy("more_data");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->applies(f.view));
  const std::string why = r->recommend(f.view);
  EXPECT_NE(why.find("the learning curve of gbdt predicts dev error 0.0470 with 2x the data and 0.0400 with 10x (now 0.0540 on the dev split)"),
            std::string::npos) << why;
  // On small data the curve is out of fold, as the dev error the lines above quote.
  f.view.diagnosis["learning_curve"]["estimated_by"] = "cv";
  EXPECT_NE(r->recommend(f.view).find("with 10x (now 0.0540 out of fold)"), std::string::npos) << r->recommend(f.view);
  f.view.diagnosis["learning_curve"] = curve(0.0540, 0.0541);
  EXPECT_FALSE(r->applies(f.view));
  f.view.diagnosis["learning_curve"] = nullptr;  // no curve yet: the gap alone is the reason
  EXPECT_TRUE(r->applies(f.view));
  f.view.diagnosis = {{"bottleneck", "avoidable_bias"}, {"learning_curve", curve(0.0540, 0.0400)}};
  EXPECT_FALSE(r->applies(f.view));
}

TEST(Remedies, RegularizeTurnsEarlyStoppingBackOnFirstWhereItIsOff) {
  // A gbdt with early_stopping 0, an mlp with patience 0: the first candidate is the family's
  // default patience, the rest of the incumbent as it is. With early stopping on, none.
  for (const auto& [model, key] : {std::pair<std::string, std::string>{"gbdt", "early_stopping"}, {"mlp", "patience"}}) {
    Fixture f(model, Task::binary);
    const int64_t on = f.view.incumbent.params.at(key).get<int64_t>();
    ASSERT_GT(on, 0) << model;
    for (const auto& c : f.propose("regularize")) EXPECT_EQ(c.params.at(key).get<int64_t>(), on) << model << " " << c.label;
    f.view.incumbent.params[key] = 0;
    auto c = f.propose("regularize");
    ASSERT_FALSE(c.empty()) << model;
    Params expected = f.view.incumbent.params;
    expected[key] = on;
    EXPECT_EQ(c[0].params, expected) << model << " " << c[0].label;
    for (size_t i = 1; i < c.size(); ++i) EXPECT_EQ(c[i].params.at(key).get<int64_t>(), 0) << model << " " << c[i].label;
  }
}

TEST(Remedies, AGbdtOnACategoryOfFiveLevelsOrMoreAlsoTriesNativeCategorySplits) {
  // more_expressive_model adds one candidate with native category splits, and the search draws
  // them for about half its trials, where train has a category of 5 levels or more; not with
  // 4 (XGBoost splits those one level against the rest either way), nor for an incumbent that
  // has them already.
  auto natives = [](const std::vector<Candidate>& c) {
    size_t n = 0;
    for (const auto& k : c) n += k.params.value("categories", std::string("codes")) == "native";
    return n;
  };
  Fixture f("gbdt", Task::binary);
  f.view.tune_trials = 8;
  f.view.category_levels = 4;
  const auto few_more = f.propose("more_expressive_model");
  const auto few_tune = f.propose("tune_hyperparameters");
  EXPECT_EQ(natives(few_more), 0u);
  EXPECT_EQ(natives(few_tune), 0u);
  f.view.category_levels = 30;
  const auto more = f.propose("more_expressive_model");
  ASSERT_EQ(more.size(), few_more.size() + 1);
  EXPECT_EQ(more.back().params.at("categories"), "native");
  EXPECT_EQ(more.back().params.at("max_depth"), f.view.incumbent.params.at("max_depth"));
  EXPECT_EQ(more.back().label, "categories codes -> native");
  const auto tune = f.propose("tune_hyperparameters");
  size_t rung1 = 0;
  for (size_t i = 0; i < 8 && i < tune.size(); ++i) rung1 += tune[i].params.value("categories", std::string("codes")) == "native";
  EXPECT_GT(rung1, 0u);  // seeded: both kinds among the 8 trials
  EXPECT_LT(rung1, 8u);
  for (const auto& k : tune)
    EXPECT_EQ(k.params.value("categories", std::string("codes")) == "native", k.label.find("categories=native") != std::string::npos) << k.label;
  f.view.incumbent.params["categories"] = "native";
  EXPECT_EQ(f.propose("more_expressive_model").size(), few_more.size());
  EXPECT_EQ(natives(f.propose("tune_hyperparameters")), f.propose("tune_hyperparameters").size());  // kept from the incumbent
}

TEST(Remedies, ASwitchToGbdtOnACategoryOfManyLevelsFitsItWithNativeSplitsToo) {
  // From linear, on a table with a category of more than 16 levels, the gbdt comes twice: with
  // codes and with native category splits; with 16 levels, once.
  auto gbdts = [](const std::vector<Candidate>& c, const char* categories) {
    size_t n = 0;
    for (const auto& k : c) n += k.family == "gbdt" && k.params.at("categories") == categories;
    return n;
  };
  Fixture f("linear", Task::binary);
  f.view.category_levels = 16;
  auto c = f.propose("switch_model_class");
  EXPECT_EQ(gbdts(c, "codes"), 1u);
  EXPECT_EQ(gbdts(c, "native"), 0u);
  f.view.category_levels = 17;
  c = f.propose("switch_model_class");
  EXPECT_EQ(gbdts(c, "codes"), 1u);
  ASSERT_EQ(gbdts(c, "native"), 1u);
  for (const auto& k : c) {
    if (k.family == "gbdt" && k.params.at("categories") == "native") {
      EXPECT_EQ(k.label, "linear -> gbdt, native categories, min_child_weight 5");
      EXPECT_EQ(k.params.at("min_child_weight").get<double>(), 5.0);
    }
  }
}

TEST(Remedies, ASwitchToMlpForARegressionTargetAlsoFitsItWithoutDropout) {
  // Dropout on a squared loss trains under noise the predictions lack: for a regression
  // target the switch fits the mlp with its default dropout and without any; for classes once.
  auto mlps = [](const std::vector<Candidate>& c, double dropout) {
    size_t n = 0;
    for (const auto& k : c) n += k.family == "mlp" && k.params.at("dropout").get<double>() == dropout;
    return n;
  };
  for (const char* from : {"linear", "gbdt", "baseline"}) {
    Fixture r(from, Task::regression);
    auto c = r.propose("switch_model_class");
    EXPECT_EQ(mlps(c, 0.2), 1u) << from;
    ASSERT_EQ(mlps(c, 0.0), 1u) << from;
    for (const auto& k : c) {
      if (k.family == "mlp" && k.params.at("dropout").get<double>() == 0.0) {
        EXPECT_EQ(k.label, std::string(from) + " -> mlp, dropout 0");
      }
    }
    Fixture b(from, Task::binary);
    EXPECT_EQ(mlps(b.propose("switch_model_class"), 0.0), 0u) << from;
    EXPECT_EQ(mlps(b.propose("switch_model_class"), 0.2), 1u) << from;
  }
}

TEST(Remedies, MoreExpressiveMlpAlsoDropsItsDropout) {
  // Wider (x2, x4) and, where the incumbent has dropout, the same net without it; not twice.
  Fixture f("mlp", Task::binary);
  auto c = f.propose("more_expressive_model");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[2].label, "dropout 0.2 -> 0");
  EXPECT_EQ(c[2].params.at("dropout").get<double>(), 0.0);
  EXPECT_EQ(c[2].params.at("width"), f.view.incumbent.params.at("width"));
  f.view.incumbent.params["dropout"] = 0.0;
  EXPECT_EQ(f.propose("more_expressive_model").size(), 2u);
}

TEST(Remedies, TuneAnMlpDrawsItsActivation) {
  // Each trial draws relu, gelu or tanh (seeded): over 8 trials, more than one of them, and
  // the label says which.
  Fixture f("mlp", Task::regression);
  f.view.tune_trials = 8;
  auto c = f.propose("tune_hyperparameters");
  ASSERT_GE(c.size(), 8u);
  std::set<std::string> seen;
  for (size_t i = 0; i < 8; ++i) {
    const std::string a = c[i].params.at("activation");
    EXPECT_TRUE(a == "relu" || a == "gelu" || a == "tanh") << a;
    EXPECT_NE(c[i].label.find("activation=" + a), std::string::npos) << c[i].label;
    seen.insert(a);
  }
  EXPECT_GE(seen.size(), 2u);
  // The full-budget reruns keep their trial's draw.
  for (size_t i = 8; i < c.size(); ++i) {
    bool matched = false;
    for (size_t j = 0; j < 8; ++j)
      matched |= c[j].label.rfind(c[i].label, 0) == 0 && c[j].params.at("activation") == c[i].params.at("activation");
    EXPECT_TRUE(matched) << c[i].label;
  }
}

TEST(Remedies, MoreExpressiveGbdtAlsoTriesEveryRowAndColumn) {
  // The gbdt's default samples 0.8 of rows and columns per tree; against avoidable bias the
  // remedy also tries all of them, once, and not where the incumbent samples nothing.
  Fixture f("gbdt", Task::binary);
  auto c = f.propose("more_expressive_model");
  size_t full = 0;
  for (const auto& k : c)
    if (k.params.at("subsample").get<double>() == 1.0 && k.params.at("colsample_bytree").get<double>() == 1.0) {
      ++full;
      EXPECT_EQ(k.params.at("max_depth"), f.view.incumbent.params.at("max_depth")) << k.label;
    }
  EXPECT_EQ(full, 1u);
  f.view.incumbent.params["subsample"] = 1.0;
  f.view.incumbent.params["colsample_bytree"] = 1.0;
  for (const auto& k : f.propose("more_expressive_model")) EXPECT_NE(k.params.at("max_depth"), f.view.incumbent.params.at("max_depth")) << k.label;
}

// An incumbent the deadline stopped (70 of 500 rounds, under a 2 s budget) was trusted as it
// was: a later run stopped "at the optimum" on it at once. more_expressive_model now trains the
// same config to the end first, then its steps up; on a finished incumbent it does not.
TEST(Remedies, MoreExpressiveOnAStoppedIncumbentTrainsItToTheEndFirst) {
  Fixture f("gbdt", Task::binary);
  f.view.incumbent.status = "stopped";
  auto c = f.propose("more_expressive_model");
  ASSERT_GE(c.size(), 2u);
  EXPECT_EQ(c[0].params, f.view.incumbent.params);
  EXPECT_EQ(c[0].label, "the same, trained to the end");
  EXPECT_NE(c[1].params, f.view.incumbent.params);
  f.view.incumbent.status = "done";
  for (const auto& k : f.propose("more_expressive_model")) EXPECT_NE(k.params, f.view.incumbent.params) << k.label;
  // A stopped knn at k = 1 has no step up left, and still gets its finished fit.
  Fixture knn("knn", Task::binary);
  knn.view.incumbent.params["k"] = 1;
  EXPECT_TRUE(knn.propose("more_expressive_model").empty());
  knn.view.incumbent.status = "stopped";
  EXPECT_EQ(knn.propose("more_expressive_model").size(), 1u);
}

}  // namespace mlloop
