#include <fmt/format.h>

#include <random>

#include "mlloop/metrics/metrics.hpp"
#include "mlloop/store/store.hpp"

namespace mlloop {

void add_synthetic_runs(Store& store, int64_t n, uint64_t seed, const std::string& metric) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  static const char* models[] = {"gbdt", "mlp", "linear", "knn"};
  static const char* statuses[] = {"done", "done", "done", "done",   "done",
                                   "done", "done", "done", "failed", "diverged"};
  int64_t iteration = store.count_iterations() + 1;
  // The synthetic iterations accept nothing: the incumbent stays what it was.
  const auto incumbent = store.incumbent(metric, !metrics::higher_is_better(metric));
  std::vector<int64_t> batch;
  for (int64_t i = 0; i < n; ++i) {
    const std::string model = models[rng() % 4];
    nlohmann::json params =
        model == "gbdt"  ? nlohmann::json{{"eta", 0.01 + 0.3 * u(rng)}, {"max_depth", 2 + static_cast<int>(rng() % 8)}}
        : model == "mlp" ? nlohmann::json{{"lr", 1e-4 + 0.01 * u(rng)}, {"width", 16 << (rng() % 4)}}
        : model == "linear" ? nlohmann::json{{"C", 0.01 + 10 * u(rng)}}
                            : nlohmann::json{{"k", 1 + static_cast<int>(rng() % 50)}};
    int64_t id = store.begin_run(model, params, nlohmann::json{{"synthetic", true}}, iteration);
    const std::string status = statuses[rng() % 10];
    std::vector<MetricRecord> m;
    if (status == "done") {
      double train = 0.25 + 0.2 * u(rng), train_dev = train + 0.05 * u(rng), dev = train_dev + 0.1 * u(rng);
      for (auto [split, v] : {std::pair<const char*, double>{"train", train}, {"train_dev", train_dev}, {"dev", dev}})
        m.push_back(MetricRecord{split, metric, v, v - 0.02, v + 0.02, std::nullopt});
      for (int64_t step = 1; step <= 5; ++step)
        m.push_back(MetricRecord{"es", "loss", 0.7 - 0.05 * static_cast<double>(step) + 0.01 * u(rng), std::nullopt,
                                 std::nullopt, step});
    }
    store.finish_run(id, status, status == "done" ? "" : fmt::format("synthetic {} run", status), 0.1 + 5 * u(rng), "",
                     m, {});
    batch.push_back(id);
    if (batch.size() == 20 || i + 1 == n) {
      // A remedy name no policy proposes: a loop run on the store later does not count these
      // iterations as remedies it tried.
      store.begin_iteration(iteration, "variance", "synthetic", "synthetic iteration");
      IterationRecord rec;
      rec.index = iteration;
      rec.bottleneck = "variance";
      rec.remedy = "synthetic";
      rec.reason = "synthetic iteration";
      rec.runs = batch;
      rec.accepted = false;
      rec.incumbent = incumbent;
      if (incumbent) rec.detail["incumbent_before"] = *incumbent;
      rec.seconds = 1;
      store.finish_iteration(rec);
      batch.clear();
      ++iteration;
    }
  }
}

}  // namespace mlloop
