// Writes a mixed numeric / categorical CSV of about the requested size, for the ingest
// benchmark: floats (some missing), integers, low- and mid-cardinality text (some quoted,
// some holding the delimiter), a boolean and a binary target. Deterministic for a seed.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_gen_csv OUT.csv MEGABYTES [SEED]\n");
    return 2;
  }
  const double target = std::atof(argv[2]) * 1e6;
  std::mt19937_64 rng(argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1);
  std::normal_distribution<double> norm(0, 1);
  std::uniform_int_distribution<int> cat(0, 11), mid(0, 999), age(18, 90), pct(0, 99);
  const char* cities[] = {"Paris", "Lyon", "Nantes", "Lille", "\"Aix, en Provence\"", "Brest",
                          "Nice",  "Metz", "Dijon",  "Caen",  "\"Saint-Denis, Reunion\"", "Pau"};
  std::FILE* f = std::fopen(argv[1], "wb");
  if (!f) return 1;
  std::string buf;
  buf.reserve(1 << 22);
  buf += "id,x0,x1,x2,x3,x4,x5,age,count,amount,city,segment,code,active,label\n";
  double written = 0;
  for (long i = 0; written + static_cast<double>(buf.size()) < target; ++i) {
    buf += fmt::format("{},", i);
    for (int k = 0; k < 6; ++k) {
      if (pct(rng) < 3) buf += ",";
      else buf += fmt::format("{:.5f},", norm(rng) * (k + 1));
    }
    buf += fmt::format("{},{},{:.2f},{},seg_{},C{:03d},{},{}\n", age(rng), mid(rng) % 50, std::abs(norm(rng)) * 1000,
                       cities[cat(rng)], cat(rng) % 5, mid(rng), pct(rng) < 50 ? "true" : "false", pct(rng) < 30 ? 1 : 0);
    if (buf.size() > (1 << 22) - 512) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      written += static_cast<double>(buf.size());
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
  return 0;
}
