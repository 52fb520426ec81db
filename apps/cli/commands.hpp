// The CLI's commands. Each is a function over parsed arguments and a Context, returning the
// process exit code, so tests can call them in-process; main.cpp only parses and dispatches.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mlloop/core/context.hpp"
#include "mlloop/project/project.hpp"

namespace mlloop::cli {

struct InfoArgs {
  std::string data;
  std::string target;
  std::optional<std::vector<std::string>> missing;
  bool json = false;
};

struct StatusArgs {
  std::string dir = ".";
  bool json = false;
};

struct DemoArgs {
  std::string dir;  // empty: a fresh ./mlloop-demo[-N] folder
};

int run_init(const InitOptions& args, Context& ctx);
int run_info(const InfoArgs& args, Context& ctx);
int run_status(const StatusArgs& args, Context& ctx);
int run_demo(const DemoArgs& args, Context& ctx);

// Parses argv and runs the command; maps errors to exit codes (CONTRACT.md).
int run_cli(int argc, const char* const* argv, Context& ctx);

// The demo dataset compiled into the binary.
std::string_view demo_csv();

}  // namespace mlloop::cli
