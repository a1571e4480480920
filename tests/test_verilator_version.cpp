// The cached `verilator --version` (sim/rtl/rtl_model_cache.h): run once and
// kept while what would run is the same, run again when the wrapper, the
// binary beside it or $VERILATOR_ROOT changes or the kept entry is damaged,
// and every time where the binary cannot be found. A fake `verilator` first on
// PATH counts its runs.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "rtl_model_cache.h"

using namespace systrain;
namespace fs = std::filesystem;

namespace {

struct Env {  // sets a variable (or unsets it: null) for a scope
  std::string name, was;
  bool had;
  Env(const char* n, const char* v) : name(n) {
    const char* w = std::getenv(n);
    had = w != nullptr, was = w ? w : "";
    v ? setenv(n, v, 1) : unsetenv(n);
  }
  ~Env() { had ? setenv(name.c_str(), was.c_str(), 1) : unsetenv(name.c_str()); }
};

void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
int lines(const fs::path& p) {
  std::ifstream in(p);
  int n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

}  // namespace

TEST_CASE("Verilator's version is run once and kept until what would run changes") {
  const fs::path root = fs::temp_directory_path() / fmt::format("systrain_vversion_{}", ::getpid());
  fs::remove_all(root);
  const fs::path bin = root / "bin", cache = root / "cache", count = root / "runs";
  fs::create_directories(bin);
  write(bin / "verilator", fmt::format("#!/bin/sh\necho run >> '{}'\necho 'Verilator 9.999 fake'\n", count.string()));
  ::chmod((bin / "verilator").c_str(), 0755);
  write(bin / "verilator_bin", "x");
  const std::string path = bin.string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  Env p("PATH", path.c_str());
  Env r("VERILATOR_ROOT", nullptr);
  const std::string v = "Verilator 9.999 fake\n";

  CHECK(verilator_version(cache) == v);
  CHECK(lines(count) == 1);
  CHECK(verilator_version(cache) == v);  // kept
  CHECK(lines(count) == 1);
  write(bin / "verilator_bin", "xy");  // the binary replaced
  CHECK(verilator_version(cache) == v);
  CHECK(lines(count) == 2);
  CHECK(verilator_version(cache) == v);
  CHECK(lines(count) == 2);
  {
    Env other("VERILATOR_ROOT", "/elsewhere");
    CHECK(verilator_version(cache) == v);
    CHECK(lines(count) == 3);
  }
  for (const auto& e : fs::directory_iterator(cache)) write(e.path(), "damaged");
  CHECK(verilator_version(cache) == v);  // run again, and kept again
  CHECK(lines(count) == 4);
  CHECK(verilator_version(cache) == v);
  CHECK(lines(count) == 4);
  fs::remove(bin / "verilator_bin");  // nothing to key on: run every time
  CHECK(verilator_version(cache) == v);
  CHECK(verilator_version(cache) == v);
  CHECK(lines(count) == 6);
  for (const auto& e : fs::directory_iterator(cache)) CHECK(e.path().extension() != ".tmp");
  fs::remove_all(root);
}
