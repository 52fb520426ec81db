// The `mlp` family's declaration: parameters, capacity steps, and a factory that loads the
// libtorch adapter (model/torch/mlp.cpp, built as the plugin libmlloop_mlp.so) on first use.
// Keeping libtorch out of the mlloop binary saves every other command its ~0.5 s load time.
#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "mlloop/core/error.hpp"
#include "mlloop/model/model.hpp"

namespace mlloop {
namespace {

constexpr int64_t kMaxWidth = 2048, kMinWidth = 4, kMaxDepth = 8, kMinDepth = 1;
constexpr double kDefaultLr = 3e-3;

using Factory = Model* (*)(const Params*, const TaskShape*);

// Where the plugin may be: $MLLOOP_PLUGIN_DIR, beside the executable, ../lib/mlloop from
// it (an install), and the build tree this binary came from.
std::vector<std::filesystem::path> plugin_dirs() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("MLLOOP_PLUGIN_DIR")) dirs.emplace_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path());
    dirs.push_back(exe.parent_path() / ".." / "lib" / "mlloop");
  }
#ifdef MLLOOP_BUILD_PLUGIN_DIR
  dirs.emplace_back(MLLOOP_BUILD_PLUGIN_DIR);
#endif
  return dirs;
}

Factory load_factory() {
  static std::once_flag once;
  static Factory factory = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    std::string tried;
    for (const auto& dir : plugin_dirs()) {
      auto path = (dir / "libmlloop_mlp.so").string();
      if (!std::filesystem::exists(path)) {
        tried += "\n  " + path + " (absent)";
        continue;
      }
      void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        tried += fmt::format("\n  {} ({})", path, dlerror());
        continue;
      }
      factory = reinterpret_cast<Factory>(dlsym(h, "mlloop_mlp_create"));
      if (factory) return;
      tried += "\n  " + path + " (no mlloop_mlp_create)";
    }
    failure = tried;
  });
  if (!factory)
    throw Error(ExitCode::failed, fmt::format("the mlp family needs its libtorch plugin libmlloop_mlp.so; tried:{}", failure),
                "install it beside the mlloop binary (cmake --install), or set MLLOOP_PLUGIN_DIR to its folder");
  return factory;
}

ParamSpec real(std::string name, double def, double lo, double hi, std::string desc, bool log = false) {
  return {std::move(name), ParamSpec::Kind::real, def, lo, hi, {}, std::move(desc), log};
}
ParamSpec integer(std::string name, int64_t def, double lo, double hi, std::string desc, bool log = false) {
  return {std::move(name), ParamSpec::Kind::integer, def, lo, hi, {}, std::move(desc), log};
}
ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices, std::string desc) {
  return {std::move(name), ParamSpec::Kind::choice, def, 0, 0, std::move(choices), std::move(desc), false};
}
ParamSpec boolean(std::string name, bool def, std::string desc) {
  return {std::move(name), ParamSpec::Kind::boolean, def, 0, 0, {}, std::move(desc), false};
}

}  // namespace

void register_mlp(Registry& r) {
  Family f;
  f.name = "mlp";
  f.description =
      "multilayer perceptron (libtorch): hidden layers of equal width, softmax cross-entropy for classes or MSE "
      "on a standardized target; mini-batch SGD/Adam/AdamW with early stopping on the valid slice";
  f.params = {
      integer("depth", 2, kMinDepth, kMaxDepth, "number of hidden layers"),
      integer("width", 64, kMinWidth, kMaxWidth, "units per hidden layer", true),
      choice("activation", "relu", {"relu", "tanh", "gelu"}, "hidden-layer activation"),
      real("dropout", 0.2, 0.0, 0.9, "dropout probability after each hidden layer (0 = none)"),
      boolean("batch_norm", false, "batch normalization after each hidden linear layer"),
      choice("optimizer", "adam", {"sgd", "adam", "adamw"}, "the optimizer"),
      real("lr", kDefaultLr, 1e-6, 100.0, "learning rate (the starting value when a schedule decays it)", true),
      real("momentum", 0.9, 0.0, 0.999, "momentum, for sgd only"),
      boolean("nesterov", false, "Nesterov momentum, for sgd only (needs momentum > 0)"),
      real("weight_decay", 0.0, 0.0, 1.0, "L2 penalty (decoupled for adamw)"),
      choice("schedule", "constant", {"constant", "cosine", "step"},
             "learning-rate schedule over the epochs: constant, cosine decay to 0, or step (divided by 10 at 50% "
             "and 75% of the epochs)"),
      integer("batch_size", 256, 8, 65536, "rows per mini-batch", true),
      integer("epochs", 100, 1, 10000, "maximum passes over the training rows", true),
      integer("patience", 30, 0, 1000,
              "early stopping: epochs without a better valid loss on the slice before training stops (0 = off: no "
              "slice, every training row fits, the last epoch kept)"),
      choice("init", "default", {"default", "xavier_uniform", "kaiming_normal", "orthogonal"},
             "weight initialization (default: libtorch's, kaiming-uniform); biases start at 0 for the others"),
  };
  f.standardize = true;
  f.create = [](const Params& p, const TaskShape& s) { return std::unique_ptr<Model>(load_factory()(&p, &s)); };
  f.warm_up = [] {
    try {
      load_factory();
    } catch (const std::exception&) {  // create() reports it, if the mlp is ever needed
    }
  };
  f.step_up = [](const Params& p) -> std::optional<Params> {
    Params q = p;
    int64_t width = p.at("width").get<int64_t>(), depth = p.at("depth").get<int64_t>();
    if (width < kMaxWidth)
      q["width"] = std::min(kMaxWidth, width * 2);
    else if (depth < kMaxDepth)
      q["depth"] = depth + 1;
    else
      return std::nullopt;
    return q;
  };
  f.step_down = [](const Params& p) -> std::optional<Params> {
    Params q = p;
    int64_t width = p.at("width").get<int64_t>(), depth = p.at("depth").get<int64_t>();
    if (width > kMinWidth)
      q["width"] = std::max(kMinWidth, width / 2);
    else if (depth > kMinDepth)
      q["depth"] = depth - 1;
    else
      return std::nullopt;
    return q;
  };
  r.add(std::move(f));
}

}  // namespace mlloop
