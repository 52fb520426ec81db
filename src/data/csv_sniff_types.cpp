// Phase 3 of the sniffer: column types from a sample of rows. Each non-missing value narrows
// the candidates boolean -> integer -> numeric -> datetime -> categorical.
#include <fast_float/fast_float.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "csv_internal.hpp"
#include "mlloop/core/text.hpp"

namespace mlloop::csv {

bool is_missing_marker(std::string_view field, const std::vector<std::string>& markers) {
  std::string_view t = trim(field);
  for (const auto& m : markers)
    if (t.size() == m.size() && iequals(t, m)) return true;
  return false;
}

bool parse_number_slow(std::string_view s, float& out) {
  s = trim(s);
  if (s.empty()) return false;
  const char* first = s.data();
  const char* last = first + s.size();
  if (*first == '+') ++first;
  auto res = fast_float::from_chars(first, last, out);
  return res.ec == std::errc() && res.ptr == last && std::isfinite(out);
}

bool parse_written_number(std::string_view s, bool decimal_comma, float& out) {
  s = trim(s);
  bool neg = false;
  auto sign = [&] {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      neg = s[0] == '-';
      s.remove_prefix(1);
    }
  };
  sign();
  for (std::string_view cur : {"$", "\u20ac", "\u00a3", "\u00a5"}) {
    if (s.starts_with(cur)) {
      s = trim(s.substr(cur.size()));
      if (!neg) sign();  // "$-5"
      break;
    }
    if (s.ends_with(cur)) {
      s = trim(s.substr(0, s.size() - cur.size()));
      break;
    }
  }
  if (!s.empty() && s.back() == '%') s = trim(s.substr(0, s.size() - 1));
  const char mark = decimal_comma ? ',' : '.', group = decimal_comma ? '.' : ',';
  char buf[64];
  size_t n = 0, i = 0, run = 0, digits = 0;
  char sep = 0;  // the thousands separator, once seen
  if (neg) buf[n++] = '-';
  for (; i < s.size(); ++i) {
    const char ch = s[i];
    if (std::isdigit(static_cast<unsigned char>(ch))) {
      if (n >= 40) return false;
      buf[n++] = ch;
      ++run;
      ++digits;
    } else if (ch == group || ch == ' ') {
      // Groups: 1 to 3 digits, then exactly 3 after each separator, always the same one.
      // A leading 0 starts no group ("0,125" is no thousands number).
      if (sep ? (ch != sep || run != 3) : (run == 0 || run > 3 || buf[neg ? 1 : 0] == '0')) return false;
      sep = ch;
      run = 0;
    } else {
      break;
    }
  }
  if (digits == 0 || (sep && run != 3)) return false;
  if (i < s.size() && s[i] == mark) {
    buf[n++] = '.';
    size_t frac = 0;
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && n < 60; ++i, ++frac) buf[n++] = s[i];
    if (frac == 0) return false;
  }
  return i == s.size() && parse_number(std::string_view(buf, n), out);
}

bool parse_bool(std::string_view s, bool& out) {
  s = trim(s);
  if (iequals(s, "true") || iequals(s, "yes")) {
    out = true;
    return true;
  }
  if (iequals(s, "false") || iequals(s, "no")) {
    out = false;
    return true;
  }
  return false;
}

bool looks_like_datetime(std::string_view s) {
  s = trim(s);
  auto digits = [&](size_t at, size_t n) {
    if (at + n > s.size()) return false;
    for (size_t i = at; i < at + n; ++i)
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
  };
  // YYYY-MM-DD or YYYY/MM/DD
  if (s.size() < 10 || !digits(0, 4) || (s[4] != '-' && s[4] != '/') || !digits(5, 2) || s[7] != s[4] ||
      !digits(8, 2))
    return false;
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  if (s.size() == 10) return true;
  // [T ]HH:MM[:SS[.fff]][Z|+HH:MM]
  if ((s[10] != 'T' && s[10] != ' ') || !digits(11, 2) || s.size() < 16 || s[13] != ':' || !digits(14, 2))
    return false;
  size_t i = 16;
  if (i < s.size() && s[i] == ':') {
    if (!digits(i + 1, 2)) return false;
    i += 3;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
  }
  if (i == s.size()) return true;
  if (s[i] == 'Z') return i + 1 == s.size();
  if ((s[i] == '+' || s[i] == '-') && digits(i + 1, 2)) {
    i += 3;
    if (i < s.size() && s[i] == ':') ++i;
    return i == s.size() || (digits(i, 2) && i + 2 == s.size());
  }
  return false;
}

bool normalize_date(std::string_view s, DateOrder order, char* out, size_t& n) {
  if (order == DateOrder::iso) return false;
  s = trim(s);
  size_t i = 0;
  auto digits = [&](size_t most, int& v) {
    size_t k = 0;
    v = 0;
    while (i < s.size() && k < most && std::isdigit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0'), ++k;
    return k;
  };
  int a = 0, b = 0, y = 0;
  if (digits(2, a) == 0 || i >= s.size()) return false;
  const char sep = s[i++];
  if (sep != '/' && sep != '.' && sep != '-') return false;
  if (digits(2, b) == 0 || i >= s.size() || s[i++] != sep) return false;
  if (digits(4, y) != 4) return false;
  const int day = order == DateOrder::dmy ? a : b, month = order == DateOrder::dmy ? b : a;
  const std::string_view rest = s.substr(i);
  if (month < 1 || month > 12 || day < 1 || day > 31 || rest.size() > 30) return false;
  auto put = [&](int v, int width, size_t at) {
    for (int k = width - 1; k >= 0; --k, v /= 10) out[at + static_cast<size_t>(k)] = static_cast<char>('0' + v % 10);
  };
  put(y, 4, 0);
  out[4] = '-';
  put(month, 2, 5);
  out[7] = '-';
  put(day, 2, 8);
  std::copy(rest.begin(), rest.end(), out + 10);
  n = 10 + rest.size();
  return looks_like_datetime(std::string_view(out, n));
}

namespace {
// Values of one kind (numbers, dates) and the others among them, while the column may still be
// mostly of that kind: the others' count and the first 4 by value, with their counts.
struct Tally {
  bool counting = true;
  size_t hits = 0, misses = 0;
  std::vector<std::pair<std::string, size_t>> values;
  bool many = false;  // more than 4 distinct other values
  // Mostly of the kind: the others 10% of the values at most, or up to 3 distinct values (inf
  // and -inf) no more than the hits.
  bool few() const { return misses * 10 <= hits + misses || (!many && values.size() <= 3 && misses <= hits); }
  void add(bool hit, std::string_view v) {
    if (hit) {
      ++hits;
    } else {
      ++misses;
      const std::string_view t = trim(v);
      auto it = std::find_if(values.begin(), values.end(), [&](const auto& o) { return o.first == t; });
      if (it != values.end()) ++it->second;
      else if (values.size() < 4) values.emplace_back(std::string(t.substr(0, 40)), 1);
      else many = true;
    }
    if (misses >= 20 && !few()) counting = false;
  }
};
}  // namespace

std::vector<TypeGuess> sniff_types(const std::vector<std::vector<std::string>>& rows, size_t ncols,
                                   const CsvOptions& opt, char delimiter) {
  std::vector<TypeGuess> out(ncols);
  const bool comma_ok = delimiter != ',';
  for (size_t c = 0; c < ncols; ++c) {
    bool can_bool = true, can_int = true, can_num = true, can_date = true, any = false;
    // Written numbers ("$1,234.50"), read with a decimal point or (not in a comma-delimited
    // file) a decimal comma: each possible while every value so far fits it.
    bool can_written = true, can_written_comma = comma_ok, needs_written = false;
    bool can_point_hint = true, can_comma_hint = true;  // whatever the delimiter, see TypeGuess
    std::string telling_number;
    std::string example;
    bool can_dmy = true, can_mdy = true;  // every value a date in that order
    char date_sep = 0;
    std::string date_example, telling_example;
    char buf[48];
    size_t blen = 0;
    // Plain numbers and other values, while the column may still be mostly numbers: a few
    // values such as "inf", "-" or "unknown" among numbers make it text, and the note says so.
    // The same for dates (in any of the orders read): a "sometime" among 1,500 dates.
    Tally numbers, dates;
    for (const auto& row : rows) {
      // A row of another width is rejected (an error) or dropped (--on-bad-rows skip) when the
      // file is parsed: its fields, shifted by an unquoted delimiter, say nothing of a column's
      // type ("Lyon, France" put " France" in a numeric column, which then read as text).
      if (row.size() != ncols) continue;
      const std::string& v = row[c];
      if (is_missing_marker(v, opt.missing_markers)) continue;
      any = true;
      bool b;
      float f = 0;
      if (can_bool && !parse_bool(v, b)) can_bool = false;
      const bool number_alive = can_num || can_int || can_written || can_written_comma || can_comma_hint;
      const bool plain = (numbers.counting || number_alive) && parse_number(v, f);
      if (numbers.counting) numbers.add(plain, v);
      if (number_alive) {
        if (!plain) can_num = can_int = false;
        else if (can_int && std::nearbyint(f) != f) can_int = false;
        // With a decimal point a plain number is fine as it is (parse_column_number); with a
        // decimal comma it must fit the written form too ("1.5" does not).
        float point = f, comma = 0;
        const bool reads_point = plain || parse_written_number(v, false, point);
        if (can_written && !reads_point) can_written = false;
        if (!parse_written_number(v, true, comma)) can_written_comma = can_comma_hint = false;
        else if (reads_point && comma != point && telling_number.empty()) telling_number = std::string(trim(v));
        if (!reads_point) can_point_hint = false;
        if (!plain && example.empty()) example = std::string(trim(v));
        needs_written |= !plain;
      }
      if (dates.counting)
        dates.add(looks_like_datetime(v) || normalize_date(v, DateOrder::dmy, buf, blen) || normalize_date(v, DateOrder::mdy, buf, blen), v);
      if (can_date && !looks_like_datetime(v)) can_date = false;
      if (!can_date && (can_dmy || can_mdy)) {
        const bool dmy = normalize_date(v, DateOrder::dmy, buf, blen), mdy = normalize_date(v, DateOrder::mdy, buf, blen);
        if (!dmy) can_dmy = false;
        if (!mdy) can_mdy = false;
        if (dmy != mdy && telling_example.empty()) telling_example = std::string(trim(v));  // it shows the order
        if (!date_sep) {
          const std::string_view t = trim(v);
          date_example = std::string(t);
          const size_t at = t.find_first_of("/.-");
          if (at != std::string_view::npos) date_sep = t[at];
        }
      }
      if (!numbers.counting && !dates.counting && !can_bool && !can_num && !can_date && !can_dmy && !can_mdy && !can_written &&
          !can_written_comma && !can_comma_hint)
        break;
    }
    TypeGuess g;
    g.all_missing = !any;
    g.fits_point = any && can_point_hint;
    g.fits_comma = any && can_comma_hint;
    g.telling_number = std::move(telling_number);
    if (!any) g.type = ColumnType::numeric;
    else if (can_bool) g.type = ColumnType::boolean;
    else if (can_int) g.type = ColumnType::integer;
    else if (can_num) g.type = ColumnType::numeric;
    else if (needs_written && (can_written || can_written_comma)) {
      g.type = ColumnType::numeric;
      g.written = true;
      // When both fit ("1,250"), a file delimited by ';', a tab or '|' is read with a decimal
      // comma: that is why such files are delimited so.
      g.decimal_comma = can_written_comma;
      g.example = example;
    }
    else if (can_date) g.type = ColumnType::datetime;
    else if (can_dmy || can_mdy) {
      // A day above 12 tells the order; without one, '/' is read month first (the US
      // convention) and '.' or '-' day first, and the note says it was a guess.
      g.type = ColumnType::datetime;
      g.date_order_guessed = can_dmy && can_mdy;
      g.example = telling_example.empty() ? date_example : telling_example;
      g.date_order = can_dmy && can_mdy ? (date_sep == '/' ? DateOrder::mdy : DateOrder::dmy) : can_dmy ? DateOrder::dmy : DateOrder::mdy;
    }
    else g.type = ColumnType::categorical;
    if (g.type == ColumnType::categorical)
      for (Tally* t : {&numbers, &dates})
        if (t->counting && t->hits >= 20 && t->misses > 0 && t->few()) {
          g.mostly_dates = t == &dates;
          g.numbers = t->hits;
          g.non_number_count = t->misses;
          g.non_numbers = std::move(t->values);
          break;
        }
    out[c] = g;
  }
  return out;
}

}  // namespace mlloop::csv
