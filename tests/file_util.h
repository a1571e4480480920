// Files the tests read: a whole file as text, and the shipped files of the
// source tree (SYSTRAIN_TEST_DIR is tests/).
#pragma once
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace systrain::test {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// a file of the source tree, by its path from the project root
inline std::filesystem::path source_file(const std::string& rel) {
  return std::filesystem::path(SYSTRAIN_TEST_DIR) / ".." / rel;
}

}  // namespace systrain::test
