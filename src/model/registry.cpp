#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cmath>

#include "mlloop/core/error.hpp"
#include "mlloop/core/text.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop {

void Registry::add(Family f) { families_.push_back(std::move(f)); }

const Family& Registry::get(const std::string& name) const {
  for (const auto& f : families_)
    if (f.name == name) return f;
  std::vector<std::string> names;
  for (const auto& f : families_) names.push_back(f.name);
  std::string near = closest_match(name, names);
  throw_bad_input(fmt::format("unknown model '{}'", name),
                  fmt::format("{}models are: {} (see mlloop models)", near.empty() ? "" : fmt::format("did you mean {}? ", near),
                              fmt::join(names, ", ")));
}

namespace {
std::string bounds_text(const ParamSpec& s) {
  switch (s.kind) {
    case ParamSpec::Kind::real: return fmt::format("a number in [{:g}, {:g}]", s.low, s.high);
    case ParamSpec::Kind::integer: return fmt::format("an integer in [{:g}, {:g}]", s.low, s.high);
    case ParamSpec::Kind::choice: return fmt::format("one of {}", fmt::join(s.choices, ", "));
    case ParamSpec::Kind::boolean: return "true or false";
  }
  return "";
}

const ParamSpec& find_spec(const Family& family, const std::string& key) {
  for (const auto& s : family.params)
    if (s.name == key) return s;
  std::vector<std::string> names;
  for (const auto& s : family.params) names.push_back(s.name);
  std::string near = closest_match(key, names);
  throw_bad_input(fmt::format("unknown parameter '{}' for model {}", key, family.name),
                  fmt::format("{}{} takes: {}", near.empty() ? "" : fmt::format("did you mean {}? ", near), family.name,
                              names.empty() ? std::string("no parameters") : fmt::format("{}", fmt::join(names, ", "))));
}

nlohmann::json check_value(const Family& family, const ParamSpec& s, const nlohmann::json& v) {
  auto bad = [&]() {
    throw_bad_input(fmt::format("parameter {}.{} = {} is out of bounds", family.name, s.name, v.dump()),
                    fmt::format("{} must be {}: {}", s.name, bounds_text(s), s.description));
  };
  switch (s.kind) {
    case ParamSpec::Kind::real: {
      if (!v.is_number()) bad();
      double x = v.get<double>();
      if (!std::isfinite(x) || x < s.low || x > s.high) bad();
      return x;
    }
    case ParamSpec::Kind::integer: {
      if (!v.is_number()) bad();
      double x = v.get<double>();
      if (x != std::floor(x) || x < s.low || x > s.high) bad();
      return static_cast<int64_t>(x);
    }
    case ParamSpec::Kind::choice: {
      if (!v.is_string()) bad();
      for (const auto& c : s.choices)
        if (c == v.get<std::string>()) return v;
      bad();
      return v;
    }
    case ParamSpec::Kind::boolean:
      if (!v.is_boolean()) bad();
      return v;
  }
  return v;
}
}  // namespace

Params resolve_params(const Family& family, const Params& given) {
  Params out = Params::object();
  for (const auto& s : family.params) out[s.name] = s.default_value;
  if (!given.is_null()) {
    for (auto it = given.begin(); it != given.end(); ++it) {
      const ParamSpec& s = find_spec(family, it.key());
      out[s.name] = check_value(family, s, it.value());
    }
  }
  return out;
}

std::pair<std::string, nlohmann::json> parse_param_assignment(const Family& family, const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw_bad_input(fmt::format("malformed --param '{}'", text), "write --param KEY=VALUE, for example --param max_depth=6");
  }
  std::string key = std::string(trim(std::string_view(text).substr(0, eq)));
  std::string value = std::string(trim(std::string_view(text).substr(eq + 1)));
  const ParamSpec& s = find_spec(family, key);
  nlohmann::json v;
  switch (s.kind) {
    case ParamSpec::Kind::real:
    case ParamSpec::Kind::integer: {
      double x = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), x);
      if (ec != std::errc() || ptr != value.data() + value.size())
        throw_bad_input(fmt::format("parameter {}.{} = '{}' is not a number", family.name, key, value),
                        fmt::format("{} must be {}", key, bounds_text(s)));
      v = x;
      break;
    }
    case ParamSpec::Kind::choice: v = value; break;
    case ParamSpec::Kind::boolean:
      if (value == "true" || value == "1") v = true;
      else if (value == "false" || value == "0") v = false;
      else throw_bad_input(fmt::format("parameter {}.{} = '{}' is not true or false", family.name, key, value), "");
      break;
  }
  return {key, check_value(family, s, v)};
}

}  // namespace mlloop
