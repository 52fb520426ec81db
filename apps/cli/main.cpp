#include "commands.hpp"

int main(int argc, char** argv) {
  mlloop::Context ctx;
  return mlloop::cli::run_cli(argc, argv, ctx);
}
