// Helpers shared by the tests: temporary folders, running the mlloop binary, and generating
// scenarios from ../shared/scenarios/make_scenario.py with fixed seeds.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace mlloop::testing {

// A fresh folder under the system temp dir, removed when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str(const std::string& child = "") const { return child.empty() ? path_.string() : (path_ / child).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;  // the process's exit code; 128 + N when killed by signal N
  std::string out;
  std::string err;
};

// Runs a command through /bin/sh, capturing stdout and stderr.
CommandResult run_shell(const std::string& command);
// Runs the mlloop binary under test with the given arguments (each is shell-quoted).
CommandResult run_mlloop(const std::vector<std::string>& args, const std::string& cwd = "");

std::string shell_quote(const std::string& s);
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

// Generates a scenario into `dir` (train.csv, maybe dev.csv and test.csv, truth.json) and
// returns truth.json.
nlohmann::json make_scenario(const std::string& name, const std::filesystem::path& dir, int seed = 1, int rows = 0);

std::string source_dir();  // the repository root
std::string shared_dir();  // ../shared

}  // namespace mlloop::testing
