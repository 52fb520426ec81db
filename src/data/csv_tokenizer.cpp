// Splits one CSV row into fields: RFC 4180 quoting (doubled quotes inside quoted fields,
// delimiters and line breaks inside quotes), LF or CRLF line ends.
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv_internal.hpp"

namespace mlloop::csv {

namespace {
// First position in [p, end) holding the delimiter, '\n' or '\r'; 16 bytes at a time with SSE2.
inline const char* scan_unquoted(const char* p, const char* end, char delim) {
#if defined(__SSE2__)
  const __m128i vd = _mm_set1_epi8(delim), vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
  while (end - p >= 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vn)), _mm_cmpeq_epi8(x, vr));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && *p != delim && *p != '\n' && *p != '\r') ++p;
  return p;
}
}  // namespace

RowResult tokenize_row(const char* p, const char* end, char delim, char quote, bool at_eof, RowFields& out) {
  out.fields.clear();
  out.scratch.clear();
  out.patches.clear();
  out.newlines = 0;
  RowResult r;
  const char* row_start = p;

  if (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
    r.status = RowStatus::blank;
    r.next = p + (*p == '\r' ? 2 : 1);
    out.newlines = 1;
    return r;
  }
  if (p >= end) {
    r.status = at_eof ? RowStatus::blank : RowStatus::incomplete;
    r.next = end;
    return r;
  }

  while (true) {
    if (p < end && *p == quote) {
      // Quoted field.
      const char* q = p + 1;
      const char* content = q;
      bool escaped = false;
      while (true) {
        const char* hit = static_cast<const char*>(std::memchr(q, quote, static_cast<size_t>(end - q)));
        if (hit == nullptr) {
          r.status = at_eof ? RowStatus::unterminated_quote : RowStatus::incomplete;
          r.next = row_start;
          r.error_field = static_cast<int64_t>(out.fields.size()) + 1;
          return r;
        }
        if (hit + 1 < end && hit[1] == quote) {
          escaped = true;
          q = hit + 2;
          continue;
        }
        if (hit + 1 >= end && !at_eof) {  // cannot tell yet whether a quote follows
          r.status = RowStatus::incomplete;
          r.next = row_start;
          return r;
        }
        q = hit;
        break;
      }
      // [content, q) is the field body.
      for (const char* c = content; c < q; ++c) out.newlines += (*c == '\n');
      if (escaped) {
        size_t off = out.scratch.size();
        for (const char* c = content; c < q; ++c) {
          out.scratch.push_back(*c);
          if (*c == quote) ++c;  // skip the second of a doubled quote
        }
        out.patches.push_back({out.fields.size(), {off, out.scratch.size() - off}});
        out.fields.emplace_back();
      } else {
        out.fields.emplace_back(content, static_cast<size_t>(q - content));
      }
      p = q + 1;
      while (p < end && *p == ' ') ++p;  // tolerate spaces after the closing quote
      if (p >= end) {
        if (!at_eof) {
          r.status = RowStatus::incomplete;
          r.next = row_start;
          return r;
        }
        break;
      }
      if (*p == delim) {
        ++p;
        if (p >= end && at_eof) {
          out.fields.emplace_back();
          break;
        }
        continue;
      }
      if (*p == '\n') {
        ++p;
        break;
      }
      if (*p == '\r' && p + 1 < end && p[1] == '\n') {
        p += 2;
        break;
      }
      if (*p == '\r' && p + 1 >= end && !at_eof) {
        r.status = RowStatus::incomplete;
        r.next = row_start;
        return r;
      }
      r.status = RowStatus::bad_quote;
      r.error_field = static_cast<int64_t>(out.fields.size());
      // Skip to the end of the physical line so a caller that skips bad rows can go on.
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      r.next = nl ? nl + 1 : end;
      out.newlines += 1;
      return r;
    }
    // Unquoted field.
    const char* f = p;
    p = scan_unquoted(p, end, delim);
    if (p < end && *p == '\r' && !(p + 1 < end && p[1] == '\n')) {
      if (p + 1 >= end && !at_eof) {
        r.status = RowStatus::incomplete;
        r.next = row_start;
        return r;
      }
      // A lone carriage return inside a field: keep it as text.
      p = scan_unquoted(p + 1, end, delim);
    }
    out.fields.emplace_back(f, static_cast<size_t>(p - f));
    if (p >= end) {
      if (!at_eof) {
        r.status = RowStatus::incomplete;
        r.next = row_start;
        return r;
      }
      break;
    }
    if (*p == delim) {
      ++p;
      if (p >= end) {
        if (!at_eof) {
          r.status = RowStatus::incomplete;
          r.next = row_start;
          return r;
        }
        out.fields.emplace_back();
        break;
      }
      continue;
    }
    if (*p == '\n') {
      ++p;
      break;
    }
    p += 2;  // "\r\n"
    break;
  }
  out.newlines += 1;
  for (const auto& [field, span] : out.patches)
    out.fields[field] = std::string_view(out.scratch).substr(span.first, span.second);
  r.status = RowStatus::ok;
  r.next = p;
  return r;
}

std::vector<std::vector<std::string>> sample_rows(std::string_view sample, const CsvDialect& d, bool whole_file,
                                                  size_t max_rows, size_t* bytes_used) {
  std::vector<std::vector<std::string>> rows;
  const char* p = sample.data();
  const char* end = p + sample.size();
  RowFields rf;
  while (p < end && rows.size() < max_rows) {
    RowResult r = tokenize_row(p, end, d.delimiter, d.quote, whole_file, rf);
    if (r.status == RowStatus::incomplete || r.status == RowStatus::unterminated_quote) break;
    p = r.next;
    if (r.status == RowStatus::blank) continue;
    if (r.status == RowStatus::bad_quote) continue;
    if (rf.fields.size() == 1 && rf.fields[0].find_first_not_of(" \t\r") == std::string_view::npos) continue;
    rows.emplace_back(rf.fields.begin(), rf.fields.end());
  }
  if (bytes_used) *bytes_used = static_cast<size_t>(p - sample.data());
  return rows;
}

}  // namespace mlloop::csv
