// Reads a CSV with mlloop's reader and prints one JSON line: seconds, rows, bytes, the
// in-memory column store size and the process's peak RSS.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "mlloop/data/csv.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_read_mlloop FILE.csv [THREADS]\n");
    return 2;
  }
  mlloop::CsvOptions opt;
  opt.threads = argc > 2 ? std::atoi(argv[2]) : 2;
  mlloop::CsvReport rep;
  auto t0 = std::chrono::steady_clock::now();
  mlloop::Dataset ds = mlloop::read_csv(argv[1], opt, &rep);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  nlohmann::json j{{"reader", "mlloop"},          {"seconds", s},
                   {"rows", ds.rows()},           {"cols", ds.cols()},
                   {"bytes", rep.bytes},          {"store_bytes", ds.memory_bytes()},
                   {"peak_rss_bytes", static_cast<long>(ru.ru_maxrss) * 1024}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
