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

#if defined(__SSE2__)
inline uint64_t eq_mask16(__m128i x, __m128i v) {
  return static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, v))));
}
#endif

// Prefix XOR: bit i is the parity of the set bits 0..i (1 from an opening quote up to, not
// including, its closing one).
inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// Bits 0..i.
inline uint64_t upto(unsigned i) { return i >= 63 ? ~uint64_t{0} : (uint64_t{2} << i) - 1; }
}  // namespace

void RowScanner::load(const char* block, const char* end) {
  alignas(16) char pad[64];
  const char* src = block;
  if (end - block < 64) {  // the last bytes: zero-padded, zeros match nothing
    std::memset(pad, 0, sizeof pad);
    std::memcpy(pad, block, static_cast<size_t>(end - block));
    src = pad;
  }
  uint64_t d = 0, n = 0, q = 0;
#if defined(__SSE2__)
  const __m128i vd = _mm_set1_epi8(delim_), vn = _mm_set1_epi8('\n'), vq = _mm_set1_epi8(quote_);
  for (int k = 0; k < 4; ++k) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16 * k));
    d |= eq_mask16(x, vd) << (16 * k);
    n |= eq_mask16(x, vn) << (16 * k);
    q |= eq_mask16(x, vq) << (16 * k);
  }
#else
  for (int k = 0; k < 64; ++k) {
    d |= static_cast<uint64_t>(src[k] == delim_) << k;
    n |= static_cast<uint64_t>(src[k] == '\n') << k;
    q |= static_cast<uint64_t>(src[k] == quote_) << k;
  }
#endif
  uint64_t in = prefix_xor(q);
  if (inside_) in = ~in;
  inside_ = (in >> 63) != 0;
  block_ = block;
  seps_ = (d | n) & ~in;
  lf_ = n & ~in;
  quotes_ = q;
  quoted_lf_ = n & in;
}

const char* RowScanner::split(const char* p, const char* end, RowFields& out) {
  out.fields.clear();
  auto slow_path = [this] {  // the masks past this row are not to be trusted: reload next time
    cursor_ = nullptr;
    return nullptr;
  };
  if (p >= end || *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'))) return slow_path();  // blank lines
  if (p != cursor_) {  // after the slow path, or at the start: classify from p, outside quotes
    inside_ = false;
    load(p, end);
  }
  const char* field = p;
  int quote_count = 0;
  bool quoted_lf = false;
  while (true) {
    if (seps_ == 0) {
      if (quotes_) quote_count += __builtin_popcountll(quotes_);
      quoted_lf |= quoted_lf_ != 0;
      if (end - block_ <= 64) return slow_path();  // no line feed before the end of the buffer
      load(block_ + 64, end);
      continue;
    }
    const unsigned i = static_cast<unsigned>(__builtin_ctzll(seps_));
    const char* at = block_ + i;
    out.fields.emplace_back(field, static_cast<size_t>(at - field));
    field = at + 1;
    const uint64_t bit = uint64_t{1} << i;
    seps_ &= seps_ - 1;
    if (lf_ & bit) {
      const uint64_t mine = upto(i);
      if (quotes_ & mine) quote_count += __builtin_popcountll(quotes_ & mine);
      quoted_lf |= (quoted_lf_ & mine) != 0;
      quotes_ &= ~mine;
      quoted_lf_ &= ~mine;
      break;
    }
  }
  cursor_ = field;
  std::string_view& last = out.fields.back();
  if (!last.empty() && last.back() == '\r') last.remove_suffix(1);
  if (out.fields.size() != ncols_ || quoted_lf) return slow_path();
  if (quote_count > 0) {
    int quoted = 0;
    for (auto& f : out.fields) {
      if (f.empty() || f.front() != quote_) continue;
      if (f.size() < 2 || f.back() != quote_) return slow_path();
      f = f.substr(1, f.size() - 2);
      ++quoted;
    }
    if (quote_count != 2 * quoted) return slow_path();  // doubled quotes, or quotes inside unquoted text
  }
  out.newlines = 1;
  return field;
}

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
