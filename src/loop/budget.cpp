// Durations for --time-budget and the per-run cap.
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <string>

#include "mlloop/core/error.hpp"
#include "mlloop/loop/loop.hpp"

namespace mlloop {

double parse_duration(std::string_view text, std::string_view what) {
  std::string t(text);
  auto bad = [&]() -> double {
    throw_bad_input(fmt::format("{} {} is not a duration", what, shorten_for_message(text)),
                    "write a number with a unit: 500ms, 90s, 10m, 1.5h (a bare number is seconds)");
  };
  if (t.empty()) return bad();
  // The unit: s (or sec), m (or min), h, ms; none is seconds.
  double scale = 1;
  size_t letters = 0;
  while (letters < t.size() && std::isalpha(static_cast<unsigned char>(t[t.size() - 1 - letters]))) ++letters;
  std::string unit = t.substr(t.size() - letters);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit == "ms") scale = 0.001;
  else if (unit == "s" || unit == "sec" || unit.empty()) scale = 1;
  else if (unit == "m" || unit == "min") scale = 60;
  else if (unit == "h") scale = 3600;
  else return bad();
  t.resize(t.size() - letters);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    return bad();
  }
  if (used != t.size() || !std::isfinite(v)) return bad();
  if (v <= 0)
    throw_bad_input(fmt::format("{} {} is no time at all", what, shorten_for_message(text)),
                    "give a duration longer than 0: 90s, 10m, 1.5h");
  // The deadline is the clock's time point, in nanoseconds of a 64-bit count: a budget of
  // centuries overflowed it into the past, and every training stopped at once.
  if (v * scale > kMaxDurationSeconds)
    throw_bad_input(fmt::format("{} {} is longer than a year", what, shorten_for_message(text)),
                    "give at most 8760h, or leave the setting out for no limit");
  return v * scale;
}

}  // namespace mlloop
