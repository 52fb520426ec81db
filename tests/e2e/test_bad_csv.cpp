// Every malformed file under tests/data/bad/ (listed in cases.tsv) is refused with exit code
// 2 and a message naming the file and line, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "test_support.hpp"

using namespace mlloop::testing;

namespace {
struct Case {
  std::string file, target, extra;
  int exit_code = 2;
  long line = 0;
  std::string must_contain;
};

std::vector<Case> load_cases() {
  std::vector<Case> out;
  std::ifstream in(source_dir() + "/tests/data/bad/cases.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) f.push_back(cell);
    if (f.size() < 6) continue;
    out.push_back(Case{f[0], f[1], f[2] == "-" ? "" : f[2], std::stoi(f[3]), std::stol(f[4]), f[5]});
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
}  // namespace

TEST(BadCsv, CorpusHasAtLeast25Cases) { EXPECT_GE(load_cases().size(), 25u); }

TEST(BadCsv, EachCaseExitsWithCode2AndNamesTheLine) {
  for (const Case& c : load_cases()) {
    SCOPED_TRACE(c.file + " " + c.extra);
    TempDir tmp;
    std::string cmd = "cd " + shell_quote(source_dir()) + " && timeout 30 " + shell_quote(MLLOOP_BINARY) + " init " +
                      shell_quote("tests/data/bad/" + c.file) + " --target " + shell_quote(c.target) + " --dir " +
                      shell_quote(tmp.str("p")) + " " + c.extra;
    auto r = run_shell(cmd);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    if (c.line > 0) {
      // The path as the user typed it, then the line: "error: tests/data/bad/x.csv:17".
      std::string at = "error: tests/data/bad/" + c.file + ":" + std::to_string(c.line);
      EXPECT_EQ(r.err.rfind(at, 0), 0u) << "expected '" << at << "' at the start of:\n" << r.err;
    }
    EXPECT_NE(lower(r.err).find(lower(c.must_contain)), std::string::npos)
        << "expected '" << c.must_contain << "' in:\n" << r.err;
    EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("project "), std::string::npos) << "a project was reported despite the error";
  }
}
