#include "run.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sys/statvfs.h>
#include <unistd.h>

#include "controller.h"
#include "dataset.h"
#include "host_memory.h"
#include "memory_room.h"
#include "cosim_array.h"
#include "report.h"
#include "rtl_array.h"

namespace systrain {

namespace {

// What the run will hold (model/train/host_memory.h), against the room this
// process has (sim/io/memory_room.h): a run that cannot fit is refused before
// anything is allocated, with the figures, the biggest part and its key.
RunOutcome check_memory(const Config& cfg, const Workload& w, bool training) {
  const std::vector<MemoryPart> parts = host_memory(cfg, w, training);
  double need = 0;
  const MemoryPart* biggest = &parts.front();
  for (const MemoryPart& p : parts) {
    need += p.bytes;
    if (p.bytes > biggest->bytes) biggest = &p;
  }
  const MemoryRoom room = memory_room();
  if (room.bytes > 0 && need > 0.9 * room.bytes) {
    std::string list;
    for (const MemoryPart& p : parts)
      if (p.bytes >= 0.01 * need) list += fmt::format("{}{:.2f} GiB for {}", list.empty() ? "" : ", ", p.bytes / (1 << 30), p.what);
    // timing only drops the SRAM state and the data set: offered when what
    // is left fits, with what it would cost in time (~1.5 µs a tile, measured on a
    // 20000x100000 dense layer: 7.8 M tiles in 12.9 s)
    std::string timing;
    if (cfg.simulation.functional) {
      Config t = cfg;
      t.simulation.functional = false;
      double t_need = 0;
      for (const MemoryPart& p : host_memory(t, w, training)) t_need += p.bytes;
      const double tiles = tiles_per_step(cfg, w, training);
      const int64_t n = training ? (cfg.training.train_samples > 0 ? cfg.training.train_samples : 60000)
                                 : (cfg.training.test_samples > 0 ? cfg.training.test_samples : 10000);
      const double steps = std::ceil(static_cast<double>(n) / static_cast<double>(std::max(1, cfg.training.batch)));
      const double secs = tiles * 1.5e-6 * (cfg.simulation.max_steps > 0 ? std::min<double>(steps, cfg.simulation.max_steps) : steps);
      timing = t_need <= 0.9 * room.bytes
                   ? fmt::format(", or run timing only (simulation.functional: false: about {:.1f} GiB; {:.3g} tiles a "
                                 "step, some {:.0f} s of simulation{})",
                                 t_need / (1 << 30), tiles, secs,
                                 secs > 60 ? "; simulation.max_steps bounds it" : "")
                   : fmt::format(" (timing only would still need {:.1f} GiB)", t_need / (1 << 30));
    }
    return {kExitBadInput, fmt::format("the run needs about {:.1f} GiB of memory and {:.1f} GiB are available (the bound is "
                                       "{}): {}. To fit, {}{}",
                                       need / (1 << 30), room.bytes / (1 << 30), room.bound, list, biggest->change, timing)};
  }
  return {};
}

// training runs over the training set and scores the test set after each
// epoch; inference runs over the test set
RunOutcome load_samples(const Config& cfg, const Workload& w, bool training, Samples& train, Samples& test) {
  auto load = [&](const char* which, int64_t wanted, uint64_t seed_offset) {
    if (!cfg.simulation.functional) {
      Samples s;
      s.count = wanted > 0 ? wanted : std::string(which) == "train" ? 60000 : 10000;
      s.width = w.input_width;
      // no data: labels cycle through the classes (the speculative tables are per label)
      s.labels.resize(s.count);
      for (int64_t i = 0; i < s.count; ++i) s.labels[i] = static_cast<uint8_t>(i % w.layers.back().n);
      return s;
    }
    if (cfg.training.dataset == Dataset::kFashionMnist) {
      Samples s = load_fashion_mnist(cfg.training.data_dir, which, wanted);
      if (w.input_width == 1024 && s.width == 784) return pad_to_32x32(s);  // (the edge trainer's input)
      return s;  // (moved: a conditional expression copied the 47 MB)
    }
    return synthetic_samples(wanted > 0 ? wanted : 10000, w.input_width,
                             static_cast<uint64_t>(cfg.training.seed) + seed_offset,
                             static_cast<int>(std::min<int64_t>(10, w.layers.back().n)));
  };
  try {
    test = load("t10k", cfg.training.test_samples, 0);
    if (training) train = load("train", cfg.training.train_samples, 1000003);
  } catch (const DataError& e) {
    if (g_interrupted.load()) return {kExitSimFailure, "interrupted while reading the data set; nothing was written"};
    return {kExitBadInput, fmt::format("training.data_dir: {}", e.what())};
  }
  // the data must be what the network takes
  for (const Samples* s : {&train, &test})
    if (s->count > 0 && s->width != w.input_width)
      return {kExitBadInput,
              fmt::format("training.data_dir: the {} images have {} features each; the network's input_shape takes {}",
                          s == &train ? "training" : "test", s->width, w.input_width)};
  if ((training ? train.count : test.count) == 0)
    return {kExitBadInput,
            fmt::format("no samples to run: training.{} is 0 and the {} set in {} is empty",
                        training ? "train_samples" : "test_samples", training ? "training" : "test",
                        cfg.training.dataset == Dataset::kFashionMnist ? cfg.training.data_dir : "the synthetic data")};

  return {};
}

// the engines' arrays: one, or two for the speculative schedule (split: the
// columns of one array shared between them; dual: two arrays)
std::vector<ArrayShape> engine_shapes(const Config& cfg) {
  const ArrayShape shape = array_shape(cfg);
  std::vector<ArrayShape> shapes{shape};
  if (cfg.schedule.kind == ScheduleKind::kSpeculative) {
    shapes = {shape, shape};
    if (cfg.schedule.speculation.engines == Engines::kSplit) {
      shapes[0].cols = cfg.forward_cols();
      shapes[1].cols = shape.cols - cfg.forward_cols();
    }
  }
  return shapes;
}

// The array models of each engine: TLM, RTL, or both behind the
// co-simulation decorator; the fault-injection decorator (a test hook armed
// from SYSTRAIN_INJECT_FAULT=KIND:N) on engine 0's TLM array.
struct Arrays {
  std::vector<std::unique_ptr<TlmArray>> tlms;
  std::vector<std::unique_ptr<RtlArray>> rtls;
  std::vector<std::unique_ptr<FaultyArray>> faults;
  std::vector<std::unique_ptr<CosimArray>> cosims;
  std::vector<ArrayModel*> engine;  // what each engine drives
  RtlArray* traced() const { return rtls.empty() ? nullptr : rtls[0].get(); }  // engine 0's RTL
};

RunOutcome build_arrays(const Config& cfg, const std::vector<ArrayShape>& shapes, const Numerics& num, bool progress,
                        Arrays& a) {
  const Backend backend = cfg.simulation.backend;
  auto& [tlms, rtls, faults, cosims, arrays] = a;
  try {
    for (size_t e = 0; e < shapes.size(); ++e) {
      ArrayModel* array = nullptr;
      RtlArray* rtl = nullptr;
      if (backend != Backend::kRtl) {
        tlms.push_back(std::make_unique<TlmArray>(shapes[e], num, cfg.simulation.functional,
                                                  static_cast<float>(cfg.training.learning_rate)));
        array = tlms.back().get();
        // test hook: SYSTRAIN_INJECT_FAULT=KIND:N corrupts the TLM array's N-th tile (engine 0's)
        if (const char* f = std::getenv("SYSTRAIN_INJECT_FAULT"); f && *f && e == 0) {
          const std::string spec = f;
          const auto colon = spec.find(':');
          faults.push_back(std::make_unique<FaultyArray>(
              *array, spec.substr(0, colon), colon == std::string::npos ? 0 : std::atoll(spec.c_str() + colon + 1)));
          array = faults.back().get();
        }
      }
      if (backend != Backend::kTlm) {
        rtls.push_back(std::make_unique<RtlArray>(shapes[e], num, progress));
        rtl = rtls.back().get();
        if (backend == Backend::kRtl) array = rtl;
      }
      if (backend == Backend::kCosim) {
        cosims.push_back(std::make_unique<CosimArray>(*array, *rtl, cfg.simulation.functional));
        array = cosims.back().get();
      }
      arrays.push_back(array);
    }
  } catch (const std::exception& e) {
    return {kExitSimFailure, e.what()};
  }
  return {};
}

// The trace (simulation.vcd), written to `vcd_tmp` and renamed at the end:
// the RTL's own signals in rtl/cosim, the schedule signals in tlm. Refused
// before anything runs when it cannot be written or the disk cannot hold its
// window.
RunOutcome open_trace(const Config& cfg, const std::vector<ArrayShape>& shapes, RtlArray* rtl,
                      const std::string& vcd_tmp, sc_core::sc_trace_file*& tlm_trace) {
  const std::string& vcd = cfg.simulation.vcd;
  const Backend backend = cfg.simulation.backend;
  if (!vcd.empty()) {
    std::error_code ec;
    const auto parent = std::filesystem::path(vcd).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    // the trace must be writable where it goes: found out before anything runs
    if (std::filesystem::is_directory(vcd, ec))
      return {kExitBadInput, fmt::format("simulation.vcd: {} is a folder; give a file name", vcd)};
    if (FILE* f = std::fopen(vcd_tmp.c_str(), "wb")) {
      std::fclose(f);
      std::filesystem::remove(vcd_tmp, ec);
    } else {
      return {kExitBadInput, fmt::format("simulation.vcd: cannot write {}: {}", vcd, std::strerror(errno))};
    }
    // and there must be room for it: an upper bound of the window's size
    // (TLM: the schedule signals of each engine, ~0.5 KB a cycle; RTL:
    // every PE's registers, ~200 bytes a PE a cycle)
    // (in doubles: the window's ends may be anywhere in int64)
    const double cycles = static_cast<double>(cfg.simulation.vcd_window[1]) -
                          static_cast<double>(cfg.simulation.vcd_window[0]) + 1.0;
    const double bound =
        4096 + cycles * (backend == Backend::kTlm ? 512.0 * static_cast<double>(shapes.size())
                                                  : 200.0 * shapes[0].rows * shapes[0].cols + 2048);
    struct statvfs fs {};
    const std::string dir = parent.empty() ? std::string(".") : parent.string();
    if (::statvfs(dir.c_str(), &fs) == 0 &&
        static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) < bound)
      return {kExitBadInput,
              fmt::format("simulation.vcd: a window of {:.0f} cycles can take up to {:.1f} MB, and {} has {:.1f} MB "
                          "free; narrow simulation.vcd_window or write elsewhere",
                          cycles, bound / 1e6, dir, static_cast<double>(fs.f_bavail) * fs.f_frsize / 1e6)};
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
  return {};
}

}  // namespace

RunOutcome run_simulation(const Config& given, RunResult& result, bool progress, StepObserver* observer,
                          const Samples* inputs) {
  const auto t0 = std::chrono::steady_clock::now();
  const Workload w = build_workload(given);
  // the trace window, resolved: null is 2,001 cycles from the cycle the array
  // can first work, when the first step's input and the first layer's weights
  // are in (the run's own DRAM schedule, on a copy); the default [0, 2000]
  // fell inside that wait and gave an empty trace
  const Config cfg = [&] {
    Config c = given;
    if (c.simulation.vcd_window_auto) {
      DramSchedule first(c, w);
      const int64_t c0 = first.layer_ready(0, c.buffer_rows(), 0, 0, 0);
      c.simulation.vcd_window = {c0, c0 + 2000};
    }
    return c;
  }();
  result.vcd_window = cfg.simulation.vcd_window;
  const ArrayShape shape = array_shape(cfg);
  const Numerics num = numerics_of(cfg);
  const Backend backend = cfg.simulation.backend;
  const bool training = cfg.schedule.kind != ScheduleKind::kInference;
  result.backend = to_string(backend);
  result.schedule = to_string(cfg.schedule.kind);
  result.rows = shape.rows;
  result.cols = shape.cols;
  result.cosim = backend == Backend::kCosim;
  result.training = training;
  result.warnings = config_warnings(cfg);
  if (progress)
    for (const auto& warning : result.warnings) fmt::print(stderr, "systrain: warning: {}\n", warning);
  if (RunOutcome o = check_memory(cfg, w, training); o.code != kExitOk) return o;
  Samples train, test;
  if (inputs && !training && inputs->width == w.input_width) test = *inputs;  // `systrain onnx-test`: its tensors
  else if (RunOutcome o = load_samples(cfg, w, training, train, test); o.code != kExitOk) return o;
  const std::vector<ArrayShape> shapes = engine_shapes(cfg);
  Arrays arrays;
  if (RunOutcome o = build_arrays(cfg, shapes, num, progress, arrays); o.code != kExitOk) return o;
  RtlArray* rtl = arrays.traced();
  std::vector<std::unique_ptr<Memory>> memories;
  for (size_t e = 0; e < shapes.size(); ++e) {
    memories.push_back(std::make_unique<Memory>(shape.words_per_psum, cfg.simulation.functional));
    if (e > 0) memories[e]->share_storage(*memories[0]);
  }
  const std::string& vcd = cfg.simulation.vcd;
  // the trace is written under a short temporary name beside it (a name of
  // the longest legal length leaves no room for a suffix)
  const std::string vcd_tmp = [&] {
    if (vcd.empty()) return std::string();
    const auto parent = std::filesystem::path(vcd).parent_path();
    return (parent / fmt::format("systrain-{}.tmp.vcd", ::getpid())).string();
  }();
  sc_core::sc_trace_file* tlm_trace = nullptr;
  if (RunOutcome o = open_trace(cfg, shapes, rtl, vcd_tmp, tlm_trace); o.code != kExitOk) return o;

  const sc_core::sc_time period(1e3 / cfg.accelerator.clock_mhz, sc_core::SC_NS);
  std::vector<Engine> engines;
  for (size_t e = 0; e < shapes.size(); ++e) engines.push_back({arrays.engine[e], memories[e].get(), shapes[e]});
  RunContext ctx(cfg, w, result);
  Controller ctrl("controller", ctx, train, test, engines, tlm_trace, progress, observer);
  std::vector<std::unique_ptr<SramTarget>> srams;
  std::vector<std::unique_ptr<ArrayTarget>> targets;
  for (size_t e = 0; e < shapes.size(); ++e) {
    srams.push_back(std::make_unique<SramTarget>(fmt::format("sram{}", e ? std::to_string(e) : "").c_str(), *memories[e]));
    targets.push_back(std::make_unique<ArrayTarget>(
        fmt::format("array_{}{}", arrays.engine[e]->name(), e ? std::to_string(e) : "").c_str(), *arrays.engine[e], period));
    (e == 0 ? ctrl.socket : *ctrl.socket_b).bind(targets[e]->socket);
    targets[e]->sram.bind(srams[e]->socket);
  }
  sc_core::sc_start();
  for (const auto& cosim : arrays.cosims) {
    result.cosim_tlm_cycles += cosim->stats().reference_cycles;
    result.cosim_rtl_cycles += cosim->stats().checked_cycles;
    result.cosim_events_compared += cosim->stats().events_compared;
    result.cosim_words_compared += cosim->stats().words_compared;
  }
  const int rtl_trace_error = rtl ? rtl->close_trace() : 0;
  ctrl.close_trace();
  // a trace the disk could not hold is an error, not a short file: the RTL
  // trace says so itself; SystemC's does not, so a disk found full after it
  // is taken as the same
  std::string trace_error;
  if (!vcd.empty()) {
    struct statvfs fs {};
    const auto parent = std::filesystem::path(vcd).parent_path();
    if (rtl_trace_error)
      trace_error = fmt::format("cannot write {}: {}", vcd, std::strerror(rtl_trace_error));
    else if (!rtl && ::statvfs(parent.empty() ? "." : parent.c_str(), &fs) == 0 && fs.f_bavail == 0)
      trace_error = fmt::format("cannot write {}: the disk is full (the trace may be cut short)", vcd);
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  result.vcd_window_busy = ctrl.window_busy();
  if (ctrl.error().empty())
    for (auto& warning : memory_warnings(cfg, result)) result.warnings.push_back(std::move(warning));
  if (!vcd.empty() && result.vcd_window_busy == 0 && ctrl.error().empty())
    result.warnings.push_back(fmt::format(
        "the trace's window, cycles {} to {}, holds no array work (the run has {} cycles; the array can first work at "
        "cycle {}): set simulation.vcd_window to cycles where it works, or to null for 2,001 cycles from there",
        cfg.simulation.vcd_window[0], cfg.simulation.vcd_window[1], result.cycles_total,
        [&] { DramSchedule d(cfg, w); return d.layer_ready(0, cfg.buffer_rows(), 0, 0, 0); }()));
  if (!ctrl.error().empty()) {
    if (!vcd_tmp.empty()) std::filesystem::remove(vcd_tmp, ec);
    return {kExitSimFailure, ctrl.error()};
  }
  if (!trace_error.empty()) {
    std::filesystem::remove(vcd_tmp, ec);
    return {kExitSimFailure, trace_error};
  }
  if (!vcd.empty()) {
    std::filesystem::rename(vcd_tmp, vcd, ec);
    if (ec) {
      std::error_code e2;
      std::filesystem::remove(vcd_tmp, e2);
      return {kExitSimFailure, fmt::format("cannot write {}: {}", vcd, ec.message())};
    }
  }
  return {};
}

}  // namespace systrain
