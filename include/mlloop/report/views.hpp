// The JSON views of a project that the CLI, the HTML report and the dashboard share: each is
// a function of the store (and the config), so the three always show the same numbers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlloop/project/config.hpp"
#include "mlloop/store/store.hpp"

namespace mlloop::views {

using json = nlohmann::json;

// CONTRACT.md's `mlloop status --json`.
json status(const std::string& project_name, const ProjectConfig& config, Store& store);

// CONTRACT.md's run object: run, model, params, status, errors (as losses), seconds, iteration.
json run(Store& store, const RunRecord& run, const std::string& metric);

// A page of runs, sorted and filtered in SQL (so a store of 10k runs costs one page). Runs
// without the sorted value come last; ties go by run id in the sort's direction.
struct RunsQuery {
  int64_t offset = 0;
  int64_t limit = 50;
  std::string sort = "run";  // one of run_sort_keys()
  bool descending = false;
  std::optional<int64_t> iteration;
  std::optional<std::string> status;
};
inline constexpr int64_t kMaxRunsPage = 1000;
const std::vector<std::string>& run_sort_keys();
// {"total", "offset", "limit", "sort", "order", "runs": [run objects]}.
json runs_page(Store& store, const std::string& metric, const RunsQuery& query);

// The loop's iterations, each with the error decomposition of the incumbent it left behind:
// {"optimal": bound or null, "iterations": [{index, label, remedy, reason, bottleneck,
// accepted, dev_before, dev_after, runs, seconds, state, incumbent, errors {train, train_dev,
// dev}, gaps {avoidable_bias, variance, data_mismatch} (signed), bars {optimal,
// avoidable_bias, variance, data_mismatch} (the stacked parts: the bound, then each gap
// clipped at zero)}]}. The first entry (index 0, "setup") is the incumbent the loop
// started from. `optimal` is the diagnosis's bound (diagnosis.hpp: optimal_bound_json). On
// small data the errors are the cross-validated ones a diagnosis cached (cv.hpp), as in
// `diagnose`, with "estimated_by": "cv"; else the frozen splits' ("split").
json iterations(Store& store, const ProjectConfig& config, const json& optimal);

// A key that changes whenever iterations() would: a cache of it is valid while this is.
std::string iterations_state(Store& store);

// One iteration with its candidates (as the loop recorded them: run, label, status, dev), the
// paired test, and its runs (run objects, "run_objects"); nullopt when there is no such index.
std::optional<json> iteration(Store& store, const std::string& metric, int64_t index);

// Counters that change whenever the store does, and the incumbent: the dashboard polls them
// to refresh live. "version" changes with any run or iteration; "analyses" with the cache.
json summary(Store& store, const std::string& metric);

}  // namespace mlloop::views
