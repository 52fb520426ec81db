// Fills a project's store with synthetic runs for the dashboard benchmark:
//   bench_make_store PROJECT_DIR N [SEED]
#include <fmt/format.h>

#include <cstdlib>

#include "mlloop/core/error.hpp"
#include "mlloop/project/project.hpp"
#include "mlloop/store/store.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: bench_make_store PROJECT_DIR N [SEED]\n");
    return 2;
  }
  try {
    mlloop::Project p = mlloop::Project::open(argv[1]);
    mlloop::add_synthetic_runs(*p.store, std::atoll(argv[2]), argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1,
                               p.config.metric);
    fmt::print("{} runs, {} iterations\n", p.store->count_runs(), p.store->count_iterations());
  } catch (const mlloop::Error& e) {
    fmt::print(stderr, "{}\n", e.describe());
    return 2;
  }
  return 0;
}
