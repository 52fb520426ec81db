// Internals shared by the CSV sniffing phases and the parser.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlloop/data/csv.hpp"

namespace mlloop::csv {

// One row split into fields. Views point into the input buffer, or into `scratch` for
// quoted fields that held escaped quotes.
struct RowFields {
  std::vector<std::string_view> fields;
  std::string scratch;  // unescaped text of quoted fields that held doubled quotes
  std::vector<std::pair<size_t, std::pair<size_t, size_t>>> patches;  // field -> (offset, length) in scratch
  int64_t newlines = 0;  // physical line breaks consumed, the row's own included
};

enum class RowStatus { ok, blank, incomplete, unterminated_quote, bad_quote };

struct RowResult {
  RowStatus status = RowStatus::ok;
  const char* next = nullptr;  // where the next row starts
  int64_t error_field = 0;     // 1-based field with the problem (bad_quote)
};

// Tokenizes one row starting at p. At the end of the buffer without a line break the row is
// `incomplete` unless `at_eof`. Blank lines come back as `blank`.
RowResult tokenize_row(const char* p, const char* end, char delim, char quote, bool at_eof, RowFields& out);

// The fast path in front of tokenize_row, for the rows of a large file. It classifies 64
// bytes at a time into bitmasks (delimiters, line feeds, quotes; quoted spans found by a
// prefix XOR of the quote bits) and keeps them from row to row, so a field costs a bit scan
// instead of a byte loop. It takes only plain rows: exactly `ncols` fields ending at a line
// feed (CRLF too), quotes only around whole fields, no doubled quote and no line break inside
// quotes. For anything else it returns nullptr and the caller uses tokenize_row, which gives
// the same fields for the rows both accept, and the errors.
class RowScanner {
 public:
  RowScanner(char delim, char quote, size_t ncols) : delim_(delim), quote_(quote), ncols_(ncols) {}
  // Splits the row starting at p into out.fields; returns where the next row starts.
  const char* split(const char* p, const char* end, RowFields& out);

 private:
  void load(const char* block, const char* end);
  char delim_, quote_;
  size_t ncols_;
  const char* block_ = nullptr;   // the current 64-byte block
  const char* cursor_ = nullptr;  // where the next row starts if the masks are valid
  uint64_t seps_ = 0;             // unquoted delimiters and line feeds, from the cursor on
  uint64_t lf_ = 0;               // unquoted line feeds
  uint64_t quotes_ = 0;           // quote bytes, from the cursor on
  uint64_t quoted_lf_ = 0;        // line feeds inside quotes, from the cursor on
  bool inside_ = false;           // the block ends inside quotes
};

// Phase 1: encoding. Returns the number of BOM bytes to skip. Throws on binary content,
// invalid UTF-8 in the sample, or an empty file.
size_t sniff_encoding(const std::string& path, std::string_view sample, bool whole_file);

// Phase 2: dialect.
CsvDialect sniff_dialect(const std::string& path, std::string_view sample, bool whole_file, const CsvOptions& opt);

// Phase 3: per-column types of the sampled rows (the header row, if any, excluded).
// The order of a date's fields other than ISO's YYYY-MM-DD: month first (01/31/2020) or day
// first (31.12.2020, 31/12/2020). Such dates are read as their ISO text.
enum class DateOrder : char { iso, mdy, dmy };

struct TypeGuess {
  ColumnType type = ColumnType::numeric;
  DateOrder date_order = DateOrder::iso;
  bool date_order_guessed = false;  // no field above 12 in the sample told which one is the day
  bool hinted = false;              // the order (or the decimal mark) came from CsvOptions
  bool all_missing = true;
  // A numeric column whose values are written for people: a currency sign, thousands groups,
  // a trailing '%', or a decimal comma (only when the delimiter is not a comma). Read with
  // parse_written_number.
  bool written = false;
  bool decimal_comma = false;
  // Every sampled value also reads with a decimal point (plain, or written with ',' groups) or
  // with a decimal comma (written with '.' groups); and the first value those two read apart
  // ("1.234": 1.234 or 1234), for a hint from another file of the project (number_formats).
  bool fits_point = false;
  bool fits_comma = false;
  std::string telling_number;
  // The first value of the sample that needed reading (a written number, a non-ISO date), for
  // the note that says how the column was read.
  std::string example;
  // A column read as text though it is mostly plain numbers (20 or more; the other values 10%
  // at most, or up to 3 distinct values, such as inf and -inf, fewer than the numbers): how
  // many values are numbers, how many not, and those by value (the first 4, in order of
  // appearance, with their counts), for the note that says what to give as --missing.
  // Empty otherwise.
  size_t numbers = 0;
  std::vector<std::pair<std::string, size_t>> non_numbers;
  size_t non_number_count = 0;
  // The same for a column of dates with a few other values: `numbers` counts its dates, and
  // `non_numbers` the values that are no date.
  bool mostly_dates = false;
};
bool is_missing_marker(std::string_view field, const std::vector<std::string>& markers);
// Numbers: an inline fast path for plain decimals, fast_float for everything else.
bool parse_number_slow(std::string_view s, float& out);

// Clinger's fast path: up to 7 significant digits and 10 decimals, both exact in a float,
// so one correctly rounded division gives the correctly rounded value. Integers of up to 15
// digits convert from an exact int64, also correctly rounded.
inline bool parse_simple_decimal(std::string_view s, float& out) {
  static constexpr float kPow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
  const char* p = s.data();
  const char* end = p + s.size();
  if (end - p > 16 || p == end) return false;
  bool neg = *p == '-';
  p += (*p == '-' || *p == '+');
  const char* start = p;
  uint64_t m = 0;
  while (p < end && static_cast<unsigned>(*p - '0') < 10) m = m * 10 + static_cast<unsigned>(*p++ - '0');
  const int int_digits = static_cast<int>(p - start);
  if (p == end) {
    if (int_digits == 0) return false;
    out = static_cast<float>(neg ? -static_cast<int64_t>(m) : static_cast<int64_t>(m));
    return true;
  }
  if (*p != '.') return false;
  const char* frac_start = ++p;
  while (p < end && static_cast<unsigned>(*p - '0') < 10) m = m * 10 + static_cast<unsigned>(*p++ - '0');
  const int frac = static_cast<int>(p - frac_start);
  if (p != end || int_digits + frac == 0 || m >= (1u << 24) || frac > 10) return false;
  // Up to 7 decimals, a multiplication by the double reciprocal is close enough: its relative
  // error (under 2^-52) is smaller than the distance of any such quotient from a float
  // rounding midpoint (at least 1 / (10^7 * 2^24) > 2^-48), so the float is still the
  // correctly rounded one. More decimals take the division.
  static constexpr double kInv10[] = {1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7};
  float v = frac <= 7 ? static_cast<float>(static_cast<double>(m) * kInv10[frac]) : static_cast<float>(m) / kPow10[frac];
  out = neg ? -v : v;
  return true;
}

inline bool parse_number(std::string_view s, float& out) {
  return parse_simple_decimal(s, out) || parse_number_slow(s, out);
}
// A number as people write it: an optional sign, an optional currency sign before or after
// ($ € £ ¥), digits in thousands groups of 3 (',' or a space; with `decimal_comma`, '.' or a
// space), an optional decimal part (after '.', or ',' with `decimal_comma`) and an optional
// trailing '%' (kept as written: "13.5%" is 13.5). "$1,234.50" -> 1234.5; "1.234,5 €" ->
// 1234.5 with `decimal_comma`. Plain numbers parse too, except, with `decimal_comma`, a
// point that is no thousands separator ("1.5"): it could mean 15 or 1.5.
bool parse_written_number(std::string_view s, bool decimal_comma, float& out);
// A value of a numeric column as its TypeGuess reads it: plain, or written with a decimal
// point (a plain number too), or written with a decimal comma (the written form only).
inline bool parse_column_number(std::string_view s, bool written, bool decimal_comma, float& out) {
  if (!written) return parse_number(s, out);
  return decimal_comma ? parse_written_number(s, true, out) : parse_number(s, out) || parse_written_number(s, false, out);
}
bool parse_bool(std::string_view s, bool& out);
bool looks_like_datetime(std::string_view s);
// "01/31/2020" (mdy) or "31.12.2020 14:05" (dmy) -> "2020-01-31", "2020-12-31 14:05" into `out`
// (at least 48 bytes): D[D] and M[M] and a 4-digit year, separated by one of / . - (the
// same twice), then what ISO allows after the date. False if it is no such date.
bool normalize_date(std::string_view s, DateOrder order, char* out, size_t& n);
// A column can be numeric with a decimal comma only when the delimiter is not a comma.
std::vector<TypeGuess> sniff_types(const std::vector<std::vector<std::string>>& rows, size_t ncols,
                                   const CsvOptions& opt, char delimiter);

// Phase 4: header. True when the first row names the columns.
bool sniff_header(const std::vector<std::string>& first, const std::vector<TypeGuess>& types, const CsvOptions& opt);

// Reads up to `max_rows` rows of the sample as strings (for the sniffing phases).
std::vector<std::vector<std::string>> sample_rows(std::string_view sample, const CsvDialect& d, bool whole_file,
                                                  size_t max_rows, size_t* bytes_used = nullptr);

// The parser: fills `ds` with all rows after the header.
struct ParsePlan {
  std::string path;
  size_t skip_bytes = 0;  // BOM and header
  int64_t first_line = 2; // line of the first data row
  CsvDialect dialect;
  std::vector<std::string> names;
  std::vector<ColumnType> types;
  std::vector<char> written;        // per column, see TypeGuess: 1 written numbers, 2 with a decimal comma
  std::vector<DateOrder> date_order;  // per column, see TypeGuess
  uint64_t file_bytes = 0;
  double bytes_per_row = 64;  // from the sample, to reserve memory
};

struct ParseConflict {  // a value that does not fit the sniffed type of its column
  size_t column = 0;
  int64_t line = 0;
  std::string text;
};

// Columns whose values did not all fit their type come back in `conflicts` (first one each).
void parse_file(const ParsePlan& plan, const CsvOptions& opt, Dataset& ds, CsvReport& report,
                std::vector<ParseConflict>& conflicts);

}  // namespace mlloop::csv
