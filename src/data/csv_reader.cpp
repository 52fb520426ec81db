// read_csv: runs the sniffing phases on a sample of the file, then the full parse.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "csv_internal.hpp"
#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/data/csv.hpp"

namespace mlloop {
using namespace csv;

namespace {
constexpr size_t kSampleBytes = 4u << 20;
constexpr size_t kSampleRows = 20000;

// How to read `values` as missing: the --missing list of `markers` and them (values holding a
// comma, a quote or a control character such as a line break cannot be listed in a shell
// argument of one line, and are left out).
std::string missing_flag(std::vector<std::string> markers, const std::vector<std::string>& values) {
  size_t unlisted = 0;
  for (const auto& v : values) {
    if (std::none_of(v.begin(), v.end(), [](char c) { return c == ',' || c == '\'' || static_cast<unsigned char>(c) < 0x20; }))
      markers.push_back(v);
    else
      ++unlisted;
  }
  static const std::string why = "--missing cannot list a value holding a comma, a quote or a line break";
  if (unlisted == values.size() && !values.empty()) return "NA written in their place in the file (" + why + ")";
  return fmt::format("--missing '{}' (mlloop init, with --force over a project; or mlloop info){}", fmt::join(markers, ","),
                     unlisted ? "; " + why + ": write NA in its place in the file" : std::string());
}

std::string read_sample(const std::string& path, uint64_t size) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw_bad_input(fmt::format("cannot open '{}'", path), "check the path and that the file is readable");
  std::string sample(std::min<uint64_t>(size, kSampleBytes), '\0');
  size_t got = std::fread(sample.data(), 1, sample.size(), f);
  std::fclose(f);
  sample.resize(got);
  return sample;
}
}  // namespace

Dataset read_csv(const std::string& path, const CsvOptions& options, CsvReport* report_out) {
  auto t0 = std::chrono::steady_clock::now();
  CsvReport local;
  CsvReport& report = report_out ? *report_out : local;
  report = CsvReport{};

  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw_bad_input(fmt::format("data file '{}' does not exist", path), "check the path (it is relative to the current folder)");
  if (std::filesystem::is_directory(path, ec))
    throw_bad_input(fmt::format("'{}' is a folder, not a CSV file", path), "give the path of a .csv file");
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw_bad_input(fmt::format("cannot read '{}': {}", path, ec.message()), "check the path and permissions");

  std::string sample = read_sample(path, size);
  const bool whole = sample.size() == size;

  // Phase 1: encoding.
  size_t bom = sniff_encoding(path, sample, whole);
  std::string_view body = std::string_view(sample).substr(bom);
  // Excel may write "sep=;" as the first line, naming the delimiter: it is taken (unless one
  // was given) and the line skipped.
  size_t excel_line = 0;
  CsvOptions dialect_options = options;
  if (body.size() >= 6 && body.starts_with("sep=") && body[4] != '\n' && body[4] != '\r' && body[4] != '"') {
    const size_t eol = body[5] == '\r' ? 6 : 5;
    if (eol < body.size() && body[eol] == '\n') {
      excel_line = eol + 1;
      if (dialect_options.delimiter == 0) dialect_options.delimiter = body[4];
      report.notes.push_back(fmt::format("the first line, \"sep={}\", names the delimiter (as Excel writes it): skipped", body[4]));
      body = body.substr(excel_line);
    }
  }
  // Phase 2: dialect.
  CsvDialect dialect = sniff_dialect(path, body, whole, dialect_options);
  dialect.bom = bom > 0;
  size_t sampled_bytes = 0;
  auto rows = sample_rows(body, dialect, whole, kSampleRows, &sampled_bytes);
  if (rows.empty()) {
    // The sample holds no complete row: show what the tokenizer says about the first one.
    RowFields rf;
    RowResult r = tokenize_row(body.data(), body.data() + body.size(), dialect.delimiter, dialect.quote, true, rf);
    if (r.status == RowStatus::unterminated_quote)
      throw_bad_input("unterminated quote: a quoted field on this line never closes",
                      "close the quote, and write a quote inside a quoted field as two quotes (\"\")",
                      Where{path, excel_line ? 2 : 1, r.error_field, std::string(body.substr(0, 80))});
    throw_bad_input("the file has no rows", "give a CSV file with a header row and at least one data row", Where{path, 0, 0, {}});
  }
  const size_t ncols = rows.front().size();
  // Phase 3: types, of the rows after the first.
  std::vector<std::vector<std::string>> data_rows(rows.begin() + 1, rows.end());
  auto types = sniff_types(data_rows, ncols, options, dialect.delimiter);
  // Phase 4: header.
  bool header = sniff_header(rows.front(), types, options);
  if (!header) types = sniff_types(rows, ncols, options, dialect.delimiter);
  dialect.header = header;

  // Column names.
  std::vector<std::string> names;
  if (header) {
    std::set<std::string> seen;
    for (size_t c = 0; c < ncols; ++c) {
      std::string name(trim(rows.front()[c]));
      if (name.empty()) name = fmt::format("unnamed_{}", c);
      if (!seen.insert(name).second) {
        throw_bad_input(fmt::format("duplicate column name '{}' (columns {} and {})", name,
                                    std::find(names.begin(), names.end(), name) - names.begin() + 1, c + 1),
                        "give every column a unique name in the header row", Where{path, excel_line ? 2 : 1, static_cast<int64_t>(c + 1), name});
      }
      names.push_back(name);
    }
  } else {
    for (size_t c = 0; c < ncols; ++c) names.push_back(fmt::format("column_{}", c + 1));
  }
  // Dates whose order this file cannot tell, read as another file of the project was.
  for (size_t c = 0; c < ncols; ++c) {
    auto hint = options.date_orders.find(names[c]);
    if (types[c].type != ColumnType::datetime || !types[c].date_order_guessed || hint == options.date_orders.end()) continue;
    types[c].date_order = hint->second == "day_first" ? DateOrder::dmy : DateOrder::mdy;
    types[c].date_order_guessed = false;
    types[c].hinted = true;
  }
  // Numbers that read both ways ("1.234"), read with the decimal mark of another file of the
  // project. A value that reads only one way is this file's own evidence, and wins.
  for (size_t c = 0; c < ncols; ++c) {
    auto hint = options.number_formats.find(names[c]);
    TypeGuess& t = types[c];
    if (hint == options.number_formats.end() || t.telling_number.empty() || !t.fits_point || !t.fits_comma) continue;
    if (t.type != ColumnType::integer && t.type != ColumnType::numeric) continue;
    const bool comma = hint->second == "decimal_comma";
    if (comma == (t.written && t.decimal_comma)) continue;  // already read that way
    if (comma && dialect.delimiter == ',') continue;  // a comma-delimited file writes its decimals with a point
    t.type = ColumnType::numeric;
    t.written = true;
    t.decimal_comma = comma;
    t.hinted = true;
    t.example = t.telling_number;
  }
  for (const auto& [name, type] : options.force_types) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
      throw_bad_input(fmt::format("cannot set the type of column '{}': no such column", name),
                      fmt::format("columns are: {}", fmt::join(names, ", ")));
    types[static_cast<size_t>(it - names.begin())].type = type;
  }
  // Numbers (or dates) with a few other values among them ("inf", "-", "unknown"): read as
  // text, a column that is all but a number, so the note says which values did it and how to
  // read them as missing instead.
  for (size_t c = 0; c < ncols; ++c) {
    const TypeGuess& t = types[c];
    if (t.type != ColumnType::categorical || t.non_numbers.empty()) continue;
    std::vector<std::string> shown, values;
    size_t listed = 0;
    for (const auto& [value, count] : t.non_numbers) {
      listed += count;
      shown.push_back(fmt::format("{} {}", shorten_for_message(value, 20), count == 1 ? std::string("once") : count == 2 ? std::string("twice") : fmt::format("{} times", count)));
      values.push_back(value);
    }
    if (listed < t.non_number_count) shown.push_back(fmt::format("{} other values", with_commas(static_cast<int64_t>(t.non_number_count - listed))));
    const size_t sampled = header ? data_rows.size() : rows.size();
    report.notes.push_back(fmt::format(
        "column '{}' read as text: {} of its {} values{} are not {} ({}); if they mark missing values, read them "
        "so with {}",
        names[c], with_commas(static_cast<int64_t>(t.non_number_count)), with_commas(static_cast<int64_t>(t.numbers + t.non_number_count)),
        whole ? std::string() : fmt::format(" in the first {} rows", with_commas(static_cast<int64_t>(sampled))),
        t.mostly_dates ? "dates" : "numbers", fmt::join(shown, ", "), missing_flag(options.missing_markers, values)));
  }

  ParsePlan plan;
  plan.path = path;
  plan.dialect = dialect;
  plan.names = names;
  plan.file_bytes = size;
  plan.skip_bytes = bom;
  plan.first_line = 1;
  // Skip leading blank lines and the header row.
  {
    const char* p = body.data();
    const char* end = p + body.size();
    RowFields rf;
    int64_t line = excel_line ? 2 : 1;
    while (p < end) {
      RowResult r = tokenize_row(p, end, dialect.delimiter, dialect.quote, whole, rf);
      bool spaces = r.status == RowStatus::ok && rf.fields.size() == 1 &&
                    rf.fields[0].find_first_not_of(" \t\r") == std::string_view::npos;
      if (r.status != RowStatus::blank && !spaces) break;
      p = r.next;
      line += 1;
    }
    if (header) {
      RowResult r = tokenize_row(p, end, dialect.delimiter, dialect.quote, whole, rf);
      p = r.next;
      line += rf.newlines;
    }
    plan.skip_bytes = bom + excel_line + static_cast<size_t>(p - body.data());
    plan.first_line = line;
  }
  plan.bytes_per_row = rows.size() > 1 ? static_cast<double>(sampled_bytes) / static_cast<double>(rows.size()) : 64.0;
  if (!whole) plan.bytes_per_row = std::max(8.0, plan.bytes_per_row * 0.97);

  Dataset ds;
  for (int attempt = 0;; ++attempt) {
    plan.types.clear();
    plan.written.clear();
    plan.date_order.clear();
    for (const auto& t : types) {
      plan.written.push_back(t.written && t.type == ColumnType::numeric ? (t.decimal_comma ? 2 : 1) : 0);
      plan.types.push_back(t.type);
      plan.date_order.push_back(t.type == ColumnType::datetime ? t.date_order : DateOrder::iso);
    }
    std::vector<ParseConflict> conflicts;
    ds = Dataset{};
    report.rejected.clear();
    report.rejected_count = 0;
    parse_file(plan, options, ds, report, conflicts);
    if (conflicts.empty()) break;
    MLLOOP_ASSERT(attempt == 0);  // a second pass has no typed columns left to conflict
    for (const auto& cf : conflicts) {
      const std::string value(trim(cf.text));
      std::string how;
      if (value.find_first_of(",'") == std::string::npos)
        how = "; if it marks missing values, read it so with " + missing_flag(options.missing_markers, {value});
      report.notes.push_back(fmt::format("column '{}' read as text: line {} has {}, which is not {}{}", names[cf.column],
                                         cf.line, shorten_for_message(cf.text, 40),
                                         types[cf.column].type == ColumnType::boolean    ? "true/false"
                                         : types[cf.column].type == ColumnType::datetime ? "a date"
                                                                                         : "a number",
                                         how));
      types[cf.column].type = ColumnType::categorical;
    }
  }
  {
    for (size_t c = 0; c < types.size(); ++c) {
      if (!types[c].written || types[c].type != ColumnType::numeric) continue;
      float v = 0;
      parse_written_number(types[c].example, types[c].decimal_comma, v);
      report.notes.push_back(fmt::format("column '{}' read as numbers{} ({} is {}){}", names[c],
                                         types[c].decimal_comma ? " with a decimal comma" : "",
                                         shorten_for_message(types[c].example, 30), v,
                                         types[c].hinted ? ", as the project's data file was read" : ""));
    }
    for (size_t c = 0; c < types.size(); ++c) {
      if (types[c].type == ColumnType::numeric && (types[c].written || types[c].fits_point))
        report.number_formats[names[c]] = types[c].written && types[c].decimal_comma ? "decimal_comma" : "decimal_point";
    }
    for (size_t c = 0; c < types.size(); ++c) {
      if (types[c].type != ColumnType::datetime || types[c].date_order == DateOrder::iso) continue;
      const bool mdy = types[c].date_order == DateOrder::mdy;
      char iso[48];
      size_t n = 0;
      normalize_date(types[c].example, types[c].date_order, iso, n);
      report.date_orders[names[c]] = mdy ? "month_first" : "day_first";
      report.notes.push_back(fmt::format(
          "column '{}' read as dates, {} first ({} is {}){}", names[c], mdy ? "month" : "day",
          shorten_for_message(types[c].example, 30), std::string_view(iso, n),
          types[c].hinted ? ", as the project's data file was read"
          : types[c].date_order_guessed ? ": no value above 12 in either field tells which is the day, so this is a guess; "
                                          "write the dates as YYYY-MM-DD to be sure"
                                        : ""));
    }
  }
  if (report.data_rows == 0) {
    throw_bad_input("the file has a header but no data rows", "add data rows below the header",
                    Where{path, 1, 0, fmt::format("{}", fmt::join(names, std::string(1, dialect.delimiter)))});
  }
  if (ds.rows() == 0) {
    throw_bad_input(fmt::format("all {} data rows are malformed and were skipped", report.data_rows),
                    "check the delimiter and quoting of the file", Where{path, 0, 0, {}});
  }
  report.dialect = dialect;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ds;
}

}  // namespace mlloop
