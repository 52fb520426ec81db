#include "test_support.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace mlloop::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    fs::path p = fs::temp_directory_path() / fmt::format("mlloop-test-{}-{:08x}", ::getpid(), rd());
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

CommandResult run_shell(const std::string& command) {
  TempDir tmp;
  std::string full = fmt::format("{{ {} ; }} >{} 2>{}", command, shell_quote(tmp.str("out")), shell_quote(tmp.str("err")));
  int status = std::system(full.c_str());
  CommandResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
  r.out = read_file(tmp.str("out"));
  r.err = read_file(tmp.str("err"));
  return r;
}

CommandResult run_mlloop(const std::vector<std::string>& args, const std::string& cwd) {
  std::string cmd;
  if (!cwd.empty()) cmd = "cd " + shell_quote(cwd) + " && ";
  cmd += shell_quote(MLLOOP_BINARY);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  return run_shell(cmd);
}

std::string source_dir() { return MLLOOP_SOURCE_DIR; }
std::string shared_dir() { return MLLOOP_SHARED_DIR; }

nlohmann::json make_scenario(const std::string& name, const fs::path& dir, int seed, int rows) {
  std::string script = shared_dir() + "/scenarios/make_scenario.py";
  if (!fs::exists(script)) throw std::runtime_error("scenario generator not found at " + script);
  std::string cmd = fmt::format("python3 {} {} {} --seed {}", shell_quote(script), name, shell_quote(dir.string()), seed);
  if (rows > 0) cmd += fmt::format(" --rows {}", rows);
  auto r = run_shell(cmd);
  if (r.exit_code != 0) throw std::runtime_error("make_scenario failed: " + r.err);
  return nlohmann::json::parse(read_file(dir / "truth.json"));
}

}  // namespace mlloop::testing
