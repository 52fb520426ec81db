#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop::cli {

int run_models(const ModelsArgs& args, Context& ctx) {
  Registry registry;
  register_builtins(registry);
  nlohmann::json all = nlohmann::json::array();
  for (const auto& f : registry.families()) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : f.params) {
      const char* kind = p.kind == ParamSpec::Kind::real      ? "real"
                         : p.kind == ParamSpec::Kind::integer ? "integer"
                         : p.kind == ParamSpec::Kind::choice  ? "choice"
                                                              : "boolean";
      nlohmann::json j{{"name", p.name}, {"kind", kind}, {"default", p.default_value}, {"description", p.description}};
      if (p.kind == ParamSpec::Kind::real || p.kind == ParamSpec::Kind::integer) {
        j["low"] = p.low;
        j["high"] = p.high;
      }
      if (p.kind == ParamSpec::Kind::choice) j["choices"] = p.choices;
      params.push_back(j);
    }
    all.push_back({{"name", f.name}, {"description", f.description}, {"standardized_inputs", f.standardize}, {"params", params}});
  }
  if (args.json) {
    ctx.out() << nlohmann::json{{"families", all}}.dump(2) << '\n';
    return 0;
  }
  auto& out = ctx.out();
  for (const auto& f : all) {
    fmt::print(out, "{}: {}\n", f["name"].get<std::string>(), f["description"].get<std::string>());
    for (const auto& p : f["params"]) {
      std::string range = p.contains("choices") ? fmt::format("{}", fmt::join(p["choices"].get<std::vector<std::string>>(), "|"))
                          : p.contains("low")   ? fmt::format("[{:g}, {:g}]", p["low"].get<double>(), p["high"].get<double>())
                                                : "true|false";
      fmt::print(out, "  {:<18} {:<8} default {:<10} {:<22} {}\n", p["name"].get<std::string>(), p["kind"].get<std::string>(),
                 p["default"].dump(), range, p["description"].get<std::string>());
    }
  }
  fmt::print(out, "set parameters with: mlloop train --model NAME --param KEY=VALUE\n");
  return 0;
}

}  // namespace mlloop::cli
