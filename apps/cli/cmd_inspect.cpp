#include <fmt/format.h>
#include <fmt/ostream.h>

#include "commands.hpp"
#include "mlloop/analyze/diagnosis.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop::cli {

int run_inspect(const InspectArgs& args, Context& ctx) {
  Project project = Project::open(args.dir);
  ctx.seed = project.config.seed;
  Registry registry;
  register_builtins(registry);
  nlohmann::json j = inspect(project, args.what, args.n, registry, ctx);
  if (args.json) {
    ctx.out() << j.dump() << '\n';
    return 0;
  }
  // The human form: the JSON's rows, one per line.
  auto& out = ctx.out();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_array()) {
      fmt::print(out, "{} ({}):\n", it.key(), it.value().size());
      for (const auto& row : it.value()) fmt::print(out, "  {}\n", row.dump());
    } else {
      fmt::print(out, "{}: {}\n", it.key(), it.value().dump());
    }
  }
  return 0;
}

}  // namespace mlloop::cli
