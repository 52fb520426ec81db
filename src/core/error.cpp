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
  std::string out = "\"";
  size_t shown = 0;
  for (unsigned char c : text) {
    if (shown >= max_chars) {
      out += "...";
      break;
    }
    if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
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
