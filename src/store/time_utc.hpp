// Internal to the store: the current time as the store writes it (UTC, ISO 8601).
#pragma once
#include <ctime>
#include <string>

namespace mlloop::store_detail {

inline std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace mlloop::store_detail
