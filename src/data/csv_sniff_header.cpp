// Phase 4 of the sniffer: the header. The first row is data, not names, when every one of
// its values fits its column's type and at least one column is typed (numeric, boolean or
// datetime), since names rarely parse as numbers.
#include "csv_internal.hpp"

namespace mlloop::csv {

bool sniff_header(const std::vector<std::string>& first, const std::vector<TypeGuess>& types, const CsvOptions& opt) {
  if (opt.header >= 0) return opt.header == 1;
  bool typed_column = false;
  for (size_t c = 0; c < types.size() && c < first.size(); ++c) {
    if (types[c].all_missing || types[c].type == ColumnType::categorical) continue;
    typed_column = true;
    const std::string& v = first[c];
    if (is_missing_marker(v, opt.missing_markers)) continue;
    float f;
    bool b;
    bool fits = false;
    switch (types[c].type) {
      case ColumnType::numeric:
      case ColumnType::integer:
        fits = parse_column_number(v, types[c].written, types[c].decimal_comma, f);
        break;
      case ColumnType::boolean: fits = parse_bool(v, b); break;
      case ColumnType::datetime: {
        char buf[48];
        size_t n = 0;
        fits = looks_like_datetime(v) || normalize_date(v, types[c].date_order, buf, n);
        break;
      }
      case ColumnType::categorical: fits = true; break;
    }
    if (!fits) return true;  // a name above typed values
  }
  return !typed_column;  // all text: assume the usual header
}

}  // namespace mlloop::csv
