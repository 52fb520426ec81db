// Phase 2 of the sniffer: the dialect. Each candidate delimiter splits the sample; the one
// giving the most rows with one consistent field count (above 1) wins.
#include <map>

#include "csv_internal.hpp"

namespace mlloop::csv {

CsvDialect sniff_dialect(const std::string& path, std::string_view sample, bool whole_file, const CsvOptions& opt) {
  CsvDialect best;
  if (opt.delimiter != 0) {
    best.delimiter = opt.delimiter;
    return best;
  }
  const char candidates[] = {',', '\t', ';', '|'};
  double best_score = -1;
  for (char d : candidates) {
    CsvDialect trial;
    trial.delimiter = d;
    auto rows = sample_rows(sample, trial, whole_file, 200);
    if (rows.empty()) continue;
    std::map<size_t, size_t> counts;
    for (const auto& r : rows) ++counts[r.size()];
    size_t mode = 0, mode_n = 0;
    for (auto [fields, n] : counts) {
      if (n > mode_n || (n == mode_n && fields > mode)) {
        mode = fields;
        mode_n = n;
      }
    }
    if (mode < 2) continue;
    // Consistency first, then more fields; the header row must agree too.
    double score = static_cast<double>(mode_n) / static_cast<double>(rows.size());
    if (rows.front().size() == mode) score += 0.5;
    score += 1e-3 * static_cast<double>(std::min<size_t>(mode, 100));
    if (score > best_score) {
      best_score = score;
      best = trial;
    }
  }
  return best;  // ',' when no candidate splits the rows: a single column
}

}  // namespace mlloop::csv
