// Remedies: named actions the loop takes against a bottleneck (DESIGN.md's seed-to-remedy
// map). Each remedy lives in its own file under src/remedy/. An actionable remedy proposes
// candidate trainings; a recommendation only explains what the user should do, since the
// tool cannot do it itself (more data, relabelling, a fresh dev set).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlloop/model/model.hpp"
#include "mlloop/model/trainer.hpp"
#include "mlloop/project/config.hpp"

namespace mlloop {

// One candidate training: a family, its params (resolved), and the training-data recipe.
struct Candidate {
  std::string family;
  Params params;
  Recipe recipe;
  std::string label;  // what changed, for the log: "eta 0.1 -> 0.03"
};

// What a remedy sees: the project, the incumbent and the diagnosis of it (CONTRACT.md's
// diagnose JSON, without the learning curve unless computed).
struct LoopView {
  const ProjectConfig* config = nullptr;
  const Registry* registry = nullptr;
  RunRecord incumbent;         // params resolved
  Recipe incumbent_recipe;
  nlohmann::json diagnosis;
  std::vector<RunRecord> runs;  // every run of the project, oldest first
  uint64_t seed = 42;
  int64_t iteration = 0;
  int tune_trials = 8;          // tune_hyperparameters' trial budget
  int64_t train_rows = 0;
  double minority_share = 1;       // smallest class count / largest (classification)
  size_t category_levels = 0;      // the most levels of a category column in the train rows (0: none)
  int64_t test_looks = 0;
  int64_t finished_iterations = 0;
  // Whether `incumbent` is the project's incumbent: false where `mlloop diagnose --run` asks
  // what the loop would do from another run.
  bool project_incumbent = true;
  nlohmann::json relation_drift;   // per feature, how its relation to the target moves from train to dev (data_mismatch only)

  bool classification() const;
  // The diagnosis' error on a split (train, train_dev, dev, optimal), if measured.
  std::optional<double> error(const std::string& split) const;
  std::optional<double> gap(const std::string& name) const;
  std::string fmt_err(double v) const;  // "12.1%" for error, "0.4123" otherwise
};

// Trains candidates for a remedy and tells it their dev loss (NaN when the run failed).
class CandidateTrainer {
 public:
  virtual ~CandidateTrainer() = default;
  virtual double train(const Candidate& c) = 0;
  virtual bool out_of_time() const = 0;
};

struct Remedy {
  std::string name;
  bool actionable = true;
  std::string summary;  // one line: what it does
  std::function<bool(const LoopView&)> applies;
  // Actionable: proposes and trains candidates (most remedies train a fixed list; a tuner
  // trains in stages).
  std::function<void(const LoopView&, CandidateTrainer&)> implement;
  // A recommendation: what to do and why, quoting the evidence.
  std::function<std::string(const LoopView&)> recommend;
};

// Every remedy, in the fixed order of DESIGN.md's map.
const std::vector<Remedy>& all_remedies();
const Remedy* find_remedy(const std::string& name);
bool is_remedy_name(const std::string& name);

// Trains each candidate in turn; the common `implement` of a remedy with a fixed list.
void train_all(const std::vector<Candidate>& candidates, CandidateTrainer& trainer);

// Importance weights for reweight_for_shift: p(dev | x) / p(train | x) from an out-of-fold
// adversarial gbdt on the training rows, clipped to [0.1, 10] and scaled to mean 1; one per
// training row in manifest order.
class Project;
struct ProjectData;
class Context;
// Features whose relation to the target breaks between train and dev: per numeric feature,
// its correlation with the target (with each class, one-vs-rest) on train and on dev,
// compared by Fisher's z test. Drifting features first: {"features": [...], "drifting": [names]}.
nlohmann::json relation_drift(const Project& project, const ProjectData& data, Context& ctx);
std::vector<float> shift_importance_weights(const Project& project, const ProjectData& data, const Registry& registry,
                                            Context& ctx);

}  // namespace mlloop
