// The systrain command line: run, check, compare, sweep (see README).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <systemc>

#include "config_schema.h"
#include "compare.h"
#include "controller.h"
#include "dataset.h"
#include "edge_block.h"
#include "edge_rtl.h"
#include "edge_run.h"
#include "plan.h"
#include "report.h"
#include "scalesim_report.h"
#include "run.h"
#include "onnx_test.h"
#include "plot.h"
#include "sweep.h"
#include "tensor_dump.h"
#include "yaml_loader.h"

using namespace systrain;

namespace {

void on_signal(int) { g_interrupted.store(true); }

int print_errors(const std::vector<ConfigError>& errors) {
  for (const auto& e : errors) fmt::print(stderr, "{}\n", e.str());
  fmt::print(stderr, "systrain: {} error{} in the configuration; nothing was run\n", errors.size(),
             errors.size() == 1 ? "" : "s");
  return kExitBadInput;
}

}  // namespace

// SystemC's library has a main() that prints its banner before calling
// sc_main; ours silences the banner (stdout may carry JSON) and then enters
// the kernel the same way.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  // idle OpenMP workers must not spin on the core the SystemC kernel uses
  setenv("OMP_WAIT_POLICY", "passive", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}

extern "C" int sc_main(int argc, char* argv[]) {
  CLI::App app{"systrain: a cycle-accurate simulator of systolic-array training accelerators"};
  app.require_subcommand(1);
  // systrain's version and what it was built with (the RTL's Verilator is
  // the one on PATH when a model is first built)
  app.set_version_flag("--version", fmt::format("systrain {} (SystemC {}, C++{})", SYSTRAIN_VERSION,
                                                 sc_core::sc_release(), __cplusplus / 100 % 100));
  std::string config, out_dir = "out", backend, schedule, vcd, schedules;
  std::vector<std::string> sets;
  bool quiet = false;
  int jobs = 1;

  auto* run = app.add_subcommand("run", "simulate CONFIG and write DIR/report.json and DIR/report.csv");
  run->add_option("CONFIG", config, "YAML config")->required();
  run->add_option("--backend", backend, "tlm | rtl | cosim (overrides simulation.backend)");
  run->add_option("--schedule", schedule, "overrides schedule.kind");
  run->add_option("--set", sets, "KEY=VALUE override of any config key (repeatable)")->allow_extra_args(false);
  run->add_option("--out", out_dir, "report folder (default: out)");
  run->add_option("--vcd", vcd, "VCD file to write (overrides simulation.vcd)");
  run->add_flag("--quiet", quiet, "print only where the report went (and any warning), no summary or progress");

  auto* check = app.add_subcommand("check", "validate CONFIG and print the resolved config");
  check->add_option("CONFIG", config, "YAML config")->required();
  check->add_option("--set", sets, "KEY=VALUE override (repeatable)")->allow_extra_args(false);

  auto* compare = app.add_subcommand("compare", "run several training schedules on CONFIG and compare them to baseline");
  compare->add_option("CONFIG", config, "YAML config")->required();
  compare->add_option("--schedules", schedules, "comma-separated schedule kinds (default baseline,interleaved; add speculative)");
  compare->add_option("--set", sets, "KEY=VALUE override of any config key (repeatable)")->allow_extra_args(false);
  compare->add_option("--out", out_dir, "report folder");
  std::string variants;
  compare->add_option("--variants", variants, "KEY=V1,V2,...: run each value (its schedules) side by side, e.g. "
                                              "accelerator.kind=systolic,edge");

  std::string shard;
  std::vector<std::string> merge_dirs;
  auto* sweep = app.add_subcommand("sweep", "run CONFIG for every combination of --set values");
  sweep->add_option("CONFIG", config, "YAML config");
  sweep->add_option("--set", sets, "KEY=V1,V2,... (repeatable)")->allow_extra_args(false);
  sweep->add_option("--jobs", jobs, "parallel runs");
  sweep->add_option("--out", out_dir, "report folder");
  sweep->add_option("--shard", shard, "I/N: run only points I, I+N, I+2N, ... (0 <= I < N); join with `sweep merge`");
  auto* merge = sweep->add_subcommand("merge", "join the sweep.csv of every shard of a sweep into --out/sweep.csv");
  merge->add_option("DIR", merge_dirs, "the shards' folders")->required();
  merge->add_option("--out", out_dir, "folder of the merged sweep.csv (default: out)");

  PlotSpec plot_spec;
  plot_spec.out = "plot.png";
  auto* plot = app.add_subcommand("plot", "draw two columns of a sweep table as a PNG (gnuplot)");
  plot->add_option("CSV", plot_spec.csv, "a sweep.csv (or any CSV with a header)")->required();
  plot->add_option("--x", plot_spec.x, "column on the x axis (e.g. cycles.total)")->required();
  plot->add_option("--y", plot_spec.y, "column on the y axis (e.g. training.final_test_accuracy)")->required();
  plot->add_option("--by", plot_spec.by, "one line per value of this column (e.g. schedule.kind)");
  plot->add_option("--label", plot_spec.label, "write each point's value of this column beside it (e.g. a threshold)");
  plot->add_option("--title", plot_spec.title, "title");
  plot->add_flag("--logx", plot_spec.logx, "logarithmic x axis");
  plot->add_option("--out", plot_spec.out, "PNG file (default: plot.png)");
  BarsSpec bars_spec;
  auto* bars = app.add_subcommand("bars", "bar charts of a `compare` folder: cycles by stage, energy by level, or per layer");
  bars->add_option("DIR", bars_spec.dir, "the folder `systrain compare --out DIR` wrote")->required();
  bars->add_option("--of", bars_spec.of, "stages (cycles by stage, stacked), energy (by level, stacked) or layers "
                                         "(each layer's cycles, a bar a schedule); default stages");
  bars->add_option("--title", bars_spec.title, "title");
  bars->add_option("--out", bars_spec.out, "PNG file (default: bars.png)");

  std::vector<std::string> onnx_dirs;
  auto* onnx_test = app.add_subcommand("onnx-test", "run ONNX backend test cases (model.onnx + test_data_set_0) "
                                                    "through the importer and the TLM model in float32");
  onnx_test->add_option("DIR", onnx_dirs, "test case folders (e.g. /usr/share/libonnx-testdata/data/node/*)")->required();

  auto* reference = app.add_subcommand("config-reference", "print the config reference (Markdown) docs/config.md carries");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBadInput;
  }

  if (*reference) {
    fmt::print("{}", config_reference_markdown());
    return kExitOk;
  }
  std::error_code self_ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", self_ec).string();
  if (self_ec) self = argv[0];
  if (*onnx_test) return run_onnx_tests(onnx_dirs);
  if (*compare) return run_compare(self, config, schedules, sets, out_dir, variants);
  if (*plot) return run_plot(plot_spec);
  if (*bars) return run_bars(bars_spec);
  if (*merge) return merge_sweeps(merge_dirs, out_dir);
  if (*sweep) {
    if (config.empty()) {
      fmt::print(stderr, "sweep: CONFIG is required\n");
      return kExitBadInput;
    }
    return run_sweep(self, config, sets, jobs, out_dir, shard);
  }
  if (!backend.empty()) sets.push_back("simulation.backend=" + backend);
  if (!schedule.empty()) sets.push_back("schedule.kind=" + schedule);
  if (!vcd.empty()) sets.push_back("simulation.vcd=" + vcd);
  LoadedConfig lc = load_config(config, sets);
  if (!lc.ok()) return print_errors(lc.errors);
  const Config& cfg = lc.config;
  if (*check) {
    fmt::print("# {}: valid; every key resolved\n{}{}", config, config_to_yaml(cfg),
               check_plan(cfg));
    return kExitOk;
  }

  // the reports must be writable there: found out now, not after the simulation
  if (const std::string why = prepare_out_dir(out_dir); !why.empty()) {
    fmt::print(stderr, "--out: {}\n", why);
    return kExitBadInput;
  }
  // the tensor dump's folder, like --out: made and probed before anything runs
  if (const std::string& dump_dir = cfg.simulation.dump_tensors; !dump_dir.empty()) {
    std::error_code dec;
    std::filesystem::create_directories(dump_dir, dec);
    if (dec || !std::filesystem::is_directory(dump_dir)) {
      fmt::print(stderr, "simulation.dump_tensors: cannot create the folder {}{}\n", dump_dir,
                 dec ? ": " + dec.message() : "");
      return kExitBadInput;
    }
    if (const std::string why = probe_writable(dump_dir); !why.empty()) {
      fmt::print(stderr, "simulation.dump_tensors: cannot write in {}: {}\n", dump_dir, why);
      return kExitBadInput;
    }
  }
  RunResult result;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);
  std::unique_ptr<TensorDump> dump;
  if (!cfg.simulation.dump_tensors.empty()) dump = std::make_unique<TensorDump>(cfg, build_workload(cfg));
  // the edge trainer runs its closed form (model/edge/edge_run.h); the array, the SystemC simulation
  const RunOutcome outcome = [&]() -> RunOutcome {
    if (cfg.accelerator.kind != AcceleratorKind::kEdge) return run_simulation(cfg, result, !quiet, dump.get());
    Samples train, test;
    if (cfg.simulation.functional) {  // its data: Fashion-MNIST (28×28 images enter a 1024 input padded to 32×32)
      const bool training = cfg.schedule.kind != ScheduleKind::kInference;
      const int64_t width = cfg.network.input_shape.at(0);
      const int classes = static_cast<int>(std::min<int64_t>(10, cfg.network.layers.back().units));
      try {
        auto load = [&](const char* which, int64_t wanted, uint64_t offset) {
          return cfg.training.dataset == Dataset::kFashionMnist
                     ? load_fashion_mnist(cfg.training.data_dir, which, wanted)
                     : synthetic_samples(wanted > 0 ? wanted : 10000, width,
                                         static_cast<uint64_t>(cfg.training.seed) + offset, classes);
        };
        test = load("t10k", cfg.training.test_samples, 0);
        if (training) train = load("train", cfg.training.train_samples, 1000003);
      } catch (const DataError& e) {
        return {kExitBadInput, fmt::format("training.data_dir: {}", e.what())};
      }
    }
    const bool data = cfg.simulation.functional;
    // rtl, cosim: each junction's blocks run by its Verilated RTL (beside the block model, compared)
    std::vector<std::unique_ptr<EdgeJunctionRtl>> rtl;
    EdgeBlockUnit unit;
    const Backend be = cfg.simulation.backend;
    if (be != Backend::kTlm) {
      const auto& nu = cfg.accelerator.numerics;
      try {
        for (int z : cfg.accelerator.edge.z)
          rtl.push_back(std::make_unique<EdgeJunctionRtl>(z, nu.data_bits, nu.frac_bits, !quiet));
      } catch (const std::exception& e) {
        return {kExitSimFailure, e.what()};
      }
      const int k = static_cast<int>(std::llround(-std::log2(cfg.training.learning_rate)));
      const EdgeFixed num{nu.data_bits, nu.frac_bits, k, sigmoid_lut(nu.data_bits, nu.frac_bits)};
      const int64_t cpc = cfg.accelerator.edge.proc_latency + 2;  // + C: a block's clocks beyond its rows
      unit = [&rtl, &result, num, be, cpc](int64_t index, int j, const EdgeBlock& b, EdgeMem& m) {
        int64_t clocks = 0;
        if (be == Backend::kRtl) {
          rtl[j - 1]->run(b, m, &clocks);
        } else {
          EdgeMem ref = m;
          const auto want = edge_block_tlm(b, ref, num);
          const auto got = rtl[j - 1]->run(b, m, &clocks);
          std::string diff = first_clash(got);  // a bank hit twice in one clock is an error in either model
          if (diff.empty()) diff = first_clash(want);
          for (size_t i = 0; diff.empty() && i < std::max(want.size(), got.size()); ++i)
            if (i >= want.size() || i >= got.size() || !(want[i] == got[i]))
              diff = fmt::format("RTL {}, model {}", i < got.size() ? describe(got[i]) : "nothing",
                                 i < want.size() ? describe(want[i]) : "nothing");
          if (diff.empty() && (m.w != ref.w || m.pd != ref.pd || m.out_a != ref.out_a || m.out_sp != ref.out_sp ||
                               m.out_delta != ref.out_delta))
            diff = "a word written differs";
          if (!diff.empty())
            throw std::runtime_error(fmt::format("co-simulation mismatch in block {} (junction {}): {}", index, j, diff));
          result.cosim_events_compared += static_cast<int64_t>(want.size());
          result.cosim_words_compared += static_cast<int64_t>(m.w.size() + m.pd.size() + 3 * m.out_a.size());
          result.cosim_tlm_cycles += b.cycles();
        }
        result.cosim_rtl_cycles += clocks;
        if (clocks != b.rows + cpc)
          throw std::runtime_error(fmt::format("the RTL took {} clocks for block {} of junction {}; the closed form "
                                               "says {}", clocks, index, j, b.rows + cpc));
      };
    }
    std::string why;
    try {
      why = run_edge(cfg, result, data ? &train : nullptr, data ? &test : nullptr, be == Backend::kTlm ? nullptr : &unit);
    } catch (const std::runtime_error& e) {
      return {kExitSimFailure, e.what()};
    }
    result.cosim = be == Backend::kCosim;
    return why.empty() ? RunOutcome{} : RunOutcome{kExitBadInput, why};
  }();
  if (outcome.code != kExitOk) {
    fmt::print(stderr, "systrain: {}\n", outcome.message);
    if (dump) fmt::print(stderr, "systrain: {}\n", dump->cut_short());
    return outcome.code;
  }
  // a signal while the reports are made or before they are written: nothing
  // is written (once the renames start, the set is finished whole)
  // (simulation.report_detail: totals writes no per-layer files, and removes
  // those an earlier run left in the folder)
  const bool per_layer = cfg.simulation.report_detail != ReportDetail::kTotals;
  ReportTexts texts = report_texts(cfg, result);
  ScalesimReports scalesim = per_layer ? scalesim_reports(result) : ScalesimReports{};
  if (g_interrupted.load()) {
    fmt::print(stderr, "systrain: interrupted; no report was written\n");
    return kExitSimFailure;
  }
  std::vector<std::pair<std::string, std::string>> files = {{out_dir + "/report.json", std::move(texts.json)},
                                                            {out_dir + "/report.csv", std::move(texts.csv)}};
  std::vector<std::pair<std::string, std::string>> layer_files = {
      {out_dir + "/layers.csv", std::move(texts.layers_csv)},
      {out_dir + "/COMPUTE_REPORT.csv", std::move(scalesim.compute)},
      {out_dir + "/BANDWIDTH_REPORT.csv", std::move(scalesim.bandwidth)},
      {out_dir + "/DETAILED_ACCESS_REPORT.csv", std::move(scalesim.detail)}};
  std::vector<std::string> stale;
  for (auto& f : layer_files)
    if (per_layer) files.push_back(std::move(f));
    else stale.push_back(f.first);
  const std::string err = write_files_atomically(files, stale);
  if (!err.empty()) {
    fmt::print(stderr, "systrain: {}\n", err);
    return kExitSimFailure;
  }
  // --quiet: the summary and the progress stay out; where the report went and
  // the warnings do not
  if (quiet)  // (named by the run's folder: compare and sweep run several at once)
    for (const auto& w : result.warnings) fmt::print(stderr, "systrain: warning ({}): {}\n", out_dir, w);
  else
    fmt::print("{}", report_summary(cfg, result));
  {
    fmt::print("  report: {}/report.json{}\n", out_dir,
               cfg.simulation.vcd.empty() ? ""
                                          : fmt::format(", vcd: {} (cycles {} to {}, {} of them with array work)",
                                                        cfg.simulation.vcd, result.vcd_window[0], result.vcd_window[1],
                                                        result.vcd_window_busy));
  }
  return kExitOk;
}
