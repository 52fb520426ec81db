#include "mlloop/core/error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace mlloop {

Error::Error(ExitCode code, std::string message, std::string fix, Where where)
    : std::runtime_error(message), code_(code), message_(std::move(message)), fix_(std::move(fix)),
      where_(std::move(where)) {}

std::string Error::describe() const {
  std::string out = "error: ";
  if (!where_.file.empty()) {
    out += where_.file;
    if (where_.line > 0) out += fmt::format(":{}", where_.line);
    if (where_.line > 0 && where_.column > 0) out += fmt::format(":{}", where_.column);
    out += ": ";
  }
  out += message_;
  if (!where_.text.empty()) out += fmt::format("\n  text: {}", shorten_for_message(where_.text));
  if (!fix_.empty()) out += fmt::format("\n  fix: {}", fix_);
  return out;
}

void throw_bad_input(std::string message, std::string fix, Where where) {
  throw Error(ExitCode::bad_input, std::move(message), std::move(fix), std::move(where));
}

void throw_data_changed(std::string message, std::string fix, Where where) {
  throw Error(ExitCode::data_changed, std::move(message), std::move(fix), std::move(where));
}

std::string shorten_for_message(std::string_view text, size_t max_chars) {
  // Quoted, control characters escaped, at most max_chars characters. Valid UTF-8 sequences are
  // kept whole (a cut never splits one); any other byte above 0x7f is written \xNN, so that a
  // message about a Latin-1 or binary file is itself valid UTF-8.
  auto sequence = [&](size_t i) -> size_t {  // the length of the valid UTF-8 sequence at i, or 0
    const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = b(i);
    const size_t n = c >= 0xf0 ? (c <= 0xf4 ? 4 : 0) : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || i + n > text.size()) return 0;
    for (size_t k = 1; k < n; ++k)
      if ((b(i + k) & 0xc0) != 0x80) return 0;
    if ((c == 0xe0 && b(i + 1) < 0xa0) || (c == 0xed && b(i + 1) > 0x9f) || (c == 0xf0 && b(i + 1) < 0x90) ||
        (c == 0xf4 && b(i + 1) > 0x8f))
      return 0;  // overlong, a surrogate, or above U+10FFFF
    return n;
  };
  std::string out = "\"";
  size_t shown = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (shown >= max_chars) {
      out += "...";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else if (c < 0x80) out += static_cast<char>(c);
    else if (const size_t n = sequence(i); n > 0) {
      out.append(text.substr(i, n));
      i += n - 1;
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
    ++shown;
  }
  out += "\"";
  return out;
}

namespace detail {
void assert_fail(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "mlloop: internal error: assertion '%s' failed at %s:%d\n", cond, file, line);
  std::abort();
}
}  // namespace detail

}  // namespace mlloop
