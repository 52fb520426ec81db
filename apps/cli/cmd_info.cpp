#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/data/csv.hpp"
#include "mlloop/data/task.hpp"

namespace mlloop::cli {

namespace {
struct NumericSummary {
  double min = NAN, max = NAN, median = NAN;
};
NumericSummary summarize(const Column& c) {
  std::vector<float> v;
  v.reserve(c.values.size());
  for (float x : c.values)
    if (!std::isnan(x)) v.push_back(x);
  NumericSummary s;
  if (v.empty()) return s;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  s.median = *mid;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

// The most frequent values of a coded column, with counts.
std::vector<std::pair<std::string, size_t>> top_values(const Column& c, size_t k) {
  std::vector<size_t> counts(c.dictionary.size(), 0);
  for (int32_t code : c.codes)
    if (code >= 0) ++counts[static_cast<size_t>(code)];
  std::vector<size_t> idx(counts.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return counts[a] > counts[b]; });
  std::vector<std::pair<std::string, size_t>> out;
  for (size_t i = 0; i < idx.size() && i < k; ++i)
    if (counts[idx[i]] > 0) out.emplace_back(c.dictionary[idx[i]], counts[idx[i]]);
  return out;
}
}  // namespace

int run_info(const InfoArgs& args, Context& ctx) {
  CsvOptions opt;
  opt.skip_hint = "mlloop init --on-bad-rows skip drops such rows";  // info reads every row, or stops
  if (args.missing) opt.missing_markers = *args.missing;
  opt.threads = ctx.threads;
  CsvReport rep;
  Dataset ds = read_csv(args.data, opt, &rep);
  std::optional<size_t> target;
  if (!args.target.empty()) {
    target = ds.find(args.target);
    if (!target) {
      std::string near = closest_match(args.target, ds.names());
      throw_bad_input(fmt::format("target column '{}' is not in {}", args.target, args.data),
                      near.empty() ? fmt::format("columns are: {}", fmt::join(ds.names(), ", "))
                                   : fmt::format("did you mean --target {}?", near),
                      Where{args.data, 1, 0, {}});
    }
  }
  const double n = static_cast<double>(ds.rows());
  nlohmann::json j;
  j["file"] = args.data;
  j["rows"] = ds.rows();
  j["bytes"] = rep.bytes;
  j["delimiter"] = std::string(1, rep.dialect.delimiter);
  j["header"] = rep.dialect.header;
  j["bad_rows"] = rep.rejected_count;
  j["notes"] = rep.notes;
  j["columns"] = nlohmann::json::array();
  auto& out = ctx.out();
  if (!args.json) {
    std::string delim = rep.dialect.delimiter == '\t' ? "tab" : fmt::format("'{}'", rep.dialect.delimiter);
    fmt::print(out, "{}: {} rows x {} columns, {} bytes (delimiter {}, {}{})\n", args.data, with_commas(static_cast<int64_t>(ds.rows())),
               ds.cols(), with_commas(static_cast<int64_t>(rep.bytes)), delim, rep.dialect.header ? "header" : "no header",
               rep.dialect.bom ? ", UTF-8 BOM" : "");
    fmt::print(out, "  {:>3}  {:<24} {:<12} {:>8} {:>9}  {}\n", "#", "column", "type", "missing", "distinct", "values");
  }
  for (size_t c = 0; c < ds.cols(); ++c) {
    const Column& col = ds.columns[c];
    size_t miss = col.missing_count();
    size_t distinct = col.distinct_count();
    const bool unique = distinct == ds.rows() && ds.rows() > 20;
    const bool id_like =
        unique && (col.type == ColumnType::categorical || (col.type == ColumnType::integer && col.integer_identifier_like()));
    nlohmann::json cj{{"name", col.name}, {"type", to_string(col.type)}, {"missing", miss},
                      {"missing_pct", n > 0 ? 100.0 * static_cast<double>(miss) / n : 0.0}, {"distinct", distinct},
                      {"identifier_like", id_like}};
    const size_t text_words = id_like ? col.free_text_words() : 0;
    cj["free_text"] = text_words > 0;
    std::string values;
    if (col.is_numeric()) {
      auto s = summarize(col);
      cj["min"] = s.min;
      cj["median"] = s.median;
      cj["max"] = s.max;
      values = std::isnan(s.min) ? "(all missing)" : fmt::format("{:g} .. {:g}, median {:g}", s.min, s.max, s.median);
    } else {
      auto top = top_values(col, 3);
      std::vector<std::string> parts;
      nlohmann::json tj = nlohmann::json::array();
      for (auto& [v, k] : top) {
        parts.push_back(fmt::format("{} {:.0f}%", shorten_for_message(v, 16), 100.0 * static_cast<double>(k) / n));
        tj.push_back({{"value", v}, {"count", k}});
      }
      cj["top"] = tj;
      values = fmt::format("{}", fmt::join(parts, ", "));
      if (distinct > 3) values += ", ...";
    }
    if (text_words)
      values += fmt::format("  (unique per row: free text, about {} words each; not read as a feature)", text_words);
    else if (id_like)
      values += "  (unique per row: looks like an identifier)";
    else if (unique && col.type == ColumnType::integer)
      values += "  (unique per row, read as a measurement: neither named nor numbered like an identifier)";
    j["columns"].push_back(cj);
    if (!args.json)
      fmt::print(out, "  {:>3}  {:<24} {:<12} {:>7.1f}% {:>9}  {}\n", c, col.name.size() > 24 ? col.name.substr(0, 21) + "..." : col.name,
                 to_string(col.type), n > 0 ? 100.0 * static_cast<double>(miss) / n : 0.0, with_commas(static_cast<int64_t>(distinct)), values);
  }
  if (!args.json) {
    if (rep.rejected_count) fmt::print(out, "  {} malformed rows skipped\n", rep.rejected_count);
    for (const auto& note : rep.notes) fmt::print(out, "  note: {}\n", note);
  }
  if (target) {
    const Column& col = ds.columns[*target];
    TaskDecision d = detect_task(col);
    nlohmann::json tj{{"column", col.name}, {"task", to_string(d.task)}, {"reason", d.reason}, {"missing", col.missing_count()}};
    if (!args.json) fmt::print(out, "target {}: {} ({}){}\n", col.name, to_string(d.task), d.reason, d.hint.empty() ? "" : "; " + d.hint);
    if (is_classification(d.task)) {
      auto classes = class_counts(col);
      std::stable_sort(classes.begin(), classes.end(), [](auto& a, auto& b) { return a.count > b.count; });
      nlohmann::json cl = nlohmann::json::array();
      double labeled = n - static_cast<double>(col.missing_count());
      for (const auto& k : classes) {
        cl.push_back({{"label", k.label}, {"count", k.count}, {"share", static_cast<double>(k.count) / labeled}});
        if (!args.json)
          fmt::print(out, "  {:<24} {:>9}  {:5.1f}%\n", shorten_for_message(k.label, 22), with_commas(static_cast<int64_t>(k.count)),
                     100.0 * static_cast<double>(k.count) / labeled);
      }
      tj["classes"] = cl;
    } else if (col.is_numeric()) {
      auto s = summarize(col);
      tj["min"] = s.min;
      tj["median"] = s.median;
      tj["max"] = s.max;
      if (!args.json) fmt::print(out, "  range {:g} .. {:g}, median {:g}\n", s.min, s.max, s.median);
    }
    if (col.missing_count() && !args.json)
      fmt::print(out, "  {} rows have no target; init drops them (--on-missing-target drop)\n", col.missing_count());
    j["target"] = tj;
  }
  if (args.json) out << j.dump(2) << '\n';
  return 0;
}

}  // namespace mlloop::cli
