// Two error channels (DESIGN.md): a typed Error for bad input from the user, naming the
// file, line, column and value and how to fix it; assertions for broken invariants.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlloop {

// Process exit codes, as CONTRACT.md defines them.
enum class ExitCode : int {
  ok = 0,
  failed = 1,        // the work ran and failed
  bad_input = 2,     // a file, a flag, the data, mlloop.toml, no project
  data_changed = 3,  // the data changed since init, or the store is damaged / newer
};

// Where in the user's input the problem is. Empty fields are left out of the message.
struct Where {
  std::string file;
  int64_t line = 0;    // 1-based physical line; 0 = unknown
  int64_t column = 0;  // 1-based field number; 0 = unknown
  std::string text;    // the offending text, truncated for display
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message, std::string fix = {}, Where where = {});

  ExitCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& fix() const { return fix_; }
  const Where& where() const { return where_; }

  // The full text shown to the user: "file:line:col: message", the text, and the fix.
  std::string describe() const;

 private:
  ExitCode code_;
  std::string message_;
  std::string fix_;
  Where where_;
};

// The loop's time budget ran out in the middle of an analysis: not an error, the loop stops
// with `budget` and keeps what it finished.
class BudgetExhausted : public std::runtime_error {
 public:
  BudgetExhausted() : std::runtime_error("the time budget ran out") {}
};

// Shorthands for the common channels.
[[noreturn]] void throw_bad_input(std::string message, std::string fix = {}, Where where = {});
[[noreturn]] void throw_data_changed(std::string message, std::string fix = {}, Where where = {});

// Truncates text for display in a message, escaping control bytes.
std::string shorten_for_message(std::string_view text, size_t max_chars = 60);

}  // namespace mlloop

// Broken invariants: these are bugs, never user errors.
#define MLLOOP_ASSERT(cond)                                                                      \
  do {                                                                                           \
    if (!(cond)) ::mlloop::detail::assert_fail(#cond, __FILE__, __LINE__);                       \
  } while (0)

namespace mlloop::detail {
[[noreturn]] void assert_fail(const char* cond, const char* file, int line);
}
