#include "run.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <unistd.h>

#include "controller.h"
#include "rtl_array.h"

namespace systrain {

RunOutcome run_simulation(const Config& cfg, RunResult& result, bool progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const Workload w = build_workload(cfg);
  const ArrayShape shape{cfg.accelerator.array.rows, cfg.accelerator.array.cols, cfg.words_per_psum()};
  const Numerics num{cfg.accelerator.numerics.data_bits, cfg.accelerator.numerics.frac_bits,
                     cfg.accelerator.numerics.acc_bits};
  const Backend backend = cfg.simulation.backend;
  result.backend = to_string(backend);
  result.schedule = to_string(cfg.schedule.kind);
  result.rows = shape.rows;
  result.cols = shape.cols;
  result.cosim = backend == Backend::kCosim;
  result.warnings = sram_bandwidth_warnings(cfg);
  if (progress)
    for (const auto& warning : result.warnings) fmt::print(stderr, "systrain: warning: {}\n", warning);

  // inference runs over the test set
  Samples samples;
  const int64_t wanted = cfg.training.test_samples;
  try {
    if (!cfg.simulation.functional) {
      samples.count = wanted > 0 ? wanted : 10000;
      samples.width = w.input_width;
      samples.labels.assign(samples.count, 0);
    } else if (cfg.training.dataset == Dataset::kFashionMnist) {
      samples = load_fashion_mnist(cfg.training.data_dir, "t10k", wanted);
    } else {
      samples = synthetic_samples(wanted > 0 ? wanted : 10000, w.input_width, static_cast<uint64_t>(cfg.training.seed));
    }
  } catch (const DataError& e) {
    return {kExitBadInput, fmt::format("training.data_dir: {}", e.what())};
  }
  if (samples.count == 0) return {kExitBadInput, "no samples to run"};

  // the arrays and their memories
  std::vector<std::unique_ptr<Memory>> memories;
  std::vector<std::unique_ptr<ArrayModel>> arrays;
  RtlArray* rtl = nullptr;
  try {
    if (backend != Backend::kRtl) arrays.push_back(std::make_unique<TlmArray>(shape, num, cfg.simulation.functional));
    if (backend != Backend::kTlm) {
      auto r = std::make_unique<RtlArray>(shape, num, progress);
      rtl = r.get();
      arrays.push_back(std::move(r));
    }
  } catch (const std::exception& e) {
    return {kExitSimFailure, e.what()};
  }
  std::vector<Engine> engines;
  for (auto& a : arrays) {
    memories.push_back(std::make_unique<Memory>(shape.words_per_psum));
    engines.push_back({a.get(), memories.back().get()});
  }

  // traces: the RTL's own signals in rtl/cosim, the schedule signals in tlm
  const std::string vcd = cfg.simulation.vcd;
  const std::string vcd_tmp = vcd.empty() ? "" : fmt::format("{}.tmp{}.vcd", vcd, ::getpid());
  sc_core::sc_trace_file* tlm_trace = nullptr;
  if (!vcd.empty()) {
    std::error_code ec;
    const auto parent = std::filesystem::path(vcd).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    try {
      if (rtl) {
        rtl->open_trace(vcd_tmp, cfg.simulation.vcd_window[0], cfg.simulation.vcd_window[1],
                        static_cast<uint64_t>(std::llround(1e6 / cfg.accelerator.clock_mhz)));
      } else {
        // SystemC appends ".vcd" to the name it is given; its info messages
        // (such as the trace time unit) would mix with our output
        sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
        tlm_trace = sc_core::sc_create_vcd_trace_file(vcd_tmp.substr(0, vcd_tmp.size() - 4).c_str());
        if (!tlm_trace) throw std::runtime_error(fmt::format("cannot write {}", vcd));
        tlm_trace->set_time_unit(1, sc_core::SC_PS);
      }
    } catch (const std::exception& e) {
      return {kExitBadInput, fmt::format("simulation.vcd: {}", e.what())};
    }
  }

  const sc_core::sc_time period(1e3 / cfg.accelerator.clock_mhz, sc_core::SC_NS);
  std::vector<std::unique_ptr<SramTarget>> srams;
  std::vector<std::unique_ptr<ArrayTarget>> targets;
  Controller ctrl("controller", cfg, w, samples, engines, result, tlm_trace, progress);
  for (size_t i = 0; i < engines.size(); ++i) {
    const char* tag = engines[i].array->name();
    srams.push_back(std::make_unique<SramTarget>(fmt::format("sram_{}", tag).c_str(), *engines[i].memory));
    targets.push_back(std::make_unique<ArrayTarget>(fmt::format("array_{}", tag).c_str(), *engines[i].array, period));
    ctrl.sockets[i]->bind(targets.back()->socket);
    targets.back()->sram.bind(srams.back()->socket);
  }
  sc_core::sc_start();
  if (rtl) rtl->close_trace();
  ctrl.close_trace();
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  if (!ctrl.error().empty()) {
    if (!vcd_tmp.empty()) std::filesystem::remove(vcd_tmp, ec);
    return {kExitSimFailure, ctrl.error()};
  }
  if (!vcd.empty()) {
    std::filesystem::rename(vcd_tmp, vcd, ec);
    if (ec) return {kExitSimFailure, fmt::format("cannot write {}: {}", vcd, ec.message())};
  }
  return {};
}

}  // namespace systrain
