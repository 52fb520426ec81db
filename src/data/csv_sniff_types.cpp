// Phase 3 of the sniffer: column types from a sample of rows. Each non-missing value narrows
// the candidates boolean -> integer -> numeric -> datetime -> categorical.
#include <fast_float/fast_float.h>

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

bool parse_decimal_comma(std::string_view s, float& out) {
  s = trim(s);
  const size_t comma = s.find(',');
  if (comma == std::string_view::npos || s.size() > 64 || s.find(',', comma + 1) != std::string_view::npos ||
      s.find('.') != std::string_view::npos)
    return false;
  char buf[64];
  std::copy(s.begin(), s.end(), buf);
  buf[comma] = '.';
  return parse_number(std::string_view(buf, s.size()), out);
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

std::vector<TypeGuess> sniff_types(const std::vector<std::vector<std::string>>& rows, size_t ncols,
                                   const CsvOptions& opt, char delimiter) {
  std::vector<TypeGuess> out(ncols);
  const bool comma_ok = delimiter != ',';
  for (size_t c = 0; c < ncols; ++c) {
    bool can_bool = true, can_int = true, can_num = true, can_date = true, any = false, comma = false;
    for (const auto& row : rows) {
      if (c >= row.size()) continue;
      const std::string& v = row[c];
      if (is_missing_marker(v, opt.missing_markers)) continue;
      any = true;
      bool b;
      float f;
      if (can_bool && !parse_bool(v, b)) can_bool = false;
      if (can_num || can_int) {
        if (parse_number(v, f)) {
          if (can_int && std::nearbyint(f) != f) can_int = false;
        } else if (comma_ok && parse_decimal_comma(v, f)) {
          comma = true;
          can_int = false;
        } else {
          can_num = can_int = false;
        }
      }
      if (can_date && !looks_like_datetime(v)) can_date = false;
      if (!can_bool && !can_num && !can_date) break;
    }
    TypeGuess g;
    g.all_missing = !any;
    if (!any) g.type = ColumnType::numeric;
    else if (can_bool) g.type = ColumnType::boolean;
    else if (can_int) g.type = ColumnType::integer;
    else if (can_num) {
      g.type = ColumnType::numeric;
      g.decimal_comma = comma;
    }
    else if (can_date) g.type = ColumnType::datetime;
    else g.type = ColumnType::categorical;
    out[c] = g;
  }
  return out;
}

}  // namespace mlloop::csv
