// Config decoding: every file in tests/bad_configs/ must give exactly the
// messages in its .err file (regenerate with scripts/regen_bad_config_errors.sh
// and review the diff); defaults, overrides and the resolved-config output.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_schema.h"
#include "file_util.h"
#include "yaml_loader.h"

using namespace systrain;
namespace fs = std::filesystem;
using systrain::test::slurp;

namespace {
std::string messages(const LoadedConfig& lc, const std::string& strip) {
  std::string out;
  for (const auto& e : lc.errors) {
    std::string s = e.str();
    if (s.rfind(strip, 0) == 0) s = s.substr(strip.size());
    out += s + "\n";
  }
  return out;
}
fs::path write_tmp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p;
}
}  // namespace

TEST_CASE("every bad config gives exactly its expected messages") {
  const fs::path dir = fs::path(SYSTRAIN_TEST_DIR) / "bad_configs";
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    CAPTURE(e.path().filename().string());
    const LoadedConfig lc = load_config(e.path().string(), {});
    CHECK_FALSE(lc.ok());
    fs::path err = e.path();
    err.replace_extension(".err");
    CHECK(messages(lc, dir.string() + "/") == slurp(err));
  }
  CHECK(files >= 8);
}

TEST_CASE("a minimal config gets every documented default") {
  const auto p = write_tmp("systrain_min.yaml", "network:\n  input_shape: [784]\n  layers:\n    - {type: dense, units: 10}\n");
  const LoadedConfig lc = load_config(p.string(), {});
  REQUIRE(lc.ok());
  const Config& c = lc.config;
  CHECK(c.accelerator.clock_mhz == 500);
  CHECK(c.accelerator.array.rows == 16);
  CHECK(c.accelerator.array.cols == 16);
  CHECK(c.accelerator.numerics.data_bits == 16);
  CHECK(c.accelerator.numerics.frac_bits == 8);
  CHECK(c.accelerator.numerics.acc_bits == 32);
  CHECK(c.training.batch == 32);
  CHECK(c.schedule.kind == ScheduleKind::kInference);
  CHECK(c.simulation.backend == Backend::kTlm);
  CHECK(c.simulation.vcd.empty());
  CHECK(c.network.layers.size() == 1);
  CHECK(c.network.layers[0].units == 10);
}

TEST_CASE("--set overrides any key, with located errors") {
  const auto p = write_tmp("systrain_set.yaml", "network:\n  input_shape: [784]\n  layers:\n    - {type: dense, units: 10}\n");
  LoadedConfig lc = load_config(p.string(), {"accelerator.array.rows=7", "simulation.backend=cosim",
                                             "simulation.vcd_window=[5, 9]"});
  REQUIRE(lc.ok());
  CHECK(lc.config.accelerator.array.rows == 7);
  CHECK(lc.config.simulation.backend == Backend::kCosim);
  CHECK(lc.config.simulation.vcd_window[1] == 9);
  lc = load_config(p.string(), {"accelerator.array.colums=4", "training.batch=x", "nonsense"});
  CHECK(messages(lc, "") ==
        "--set: accelerator.array.colums: unknown key (did you mean 'accelerator.array.cols'?)\n"
        "--set: training.batch: expected an integer in [1, 1048576], found 'x'\n"
        "--set: nonsense: expected KEY=VALUE\n");
}

TEST_CASE("the resolved config that `check` prints loads back to the same config") {
  const fs::path quick = fs::path(SYSTRAIN_TEST_DIR) / ".." / "configs" / "quickstart.yaml";
  const LoadedConfig a = load_config(quick.string(), {});
  REQUIRE(a.ok());
  const auto p = write_tmp("systrain_roundtrip.yaml", config_to_yaml(a.config));
  const LoadedConfig b = load_config(p.string(), {});
  REQUIRE(b.ok());
  CHECK(config_to_yaml(b.config) == config_to_yaml(a.config));
  CHECK(config_to_json(b.config, 0) == config_to_json(a.config, 0));
}

TEST_CASE("did_you_mean picks the closest key and refuses far ones") {
  CHECK(did_you_mean("colums", {"rows", "cols", "pe_multipliers"}) == "cols");
  CHECK(did_you_mean("simulaton", {"accelerator", "network", "simulation"}) == "simulation");
  CHECK(did_you_mean("zzzzzz", {"rows", "cols"}).empty());
}

TEST_CASE("the config reference in docs/config.md is the one the schema generates") {
  const std::string readme = slurp(systrain::test::source_file("docs/config.md"));
  CHECK(readme.find(config_reference_markdown()) != std::string::npos);
}

TEST_CASE("a topology config runs one image unless it says otherwise") {
  const auto dir = std::filesystem::path(SYSTRAIN_TEST_DIR) / ".." / "configs";
  const std::string base = "network: {topology_csv: " + (dir / "topologies" / "alexnet.csv").string() +
                           "}\nsimulation: {functional: false}\n";
  const LoadedConfig a = load_config_text(base, "t.yaml", {});
  REQUIRE(a.ok());
  CHECK(a.config.training.batch == 1);
  CHECK(a.config.training.train_samples == 1);
  CHECK(a.config.training.test_samples == 1);
  const LoadedConfig b = load_config_text(base + "training: {batch: 8}\n", "t.yaml", {"training.test_samples=16"});
  REQUIRE(b.ok());
  CHECK(b.config.training.batch == 8);
  CHECK(b.config.training.train_samples == 1);
  CHECK(b.config.training.test_samples == 16);
}
