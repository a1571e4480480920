// The accelerator's controller: walks the steps of a run, lowers each layer to
// tiles and issues them as TLM transactions to one array target (tlm, rtl) or
// to two in lockstep (cosim), each with its own SRAM; in cosim it compares
// every tile's cycles, access events and written words, and stops at the first
// difference with CosimMismatch.
#pragma once
#include <cmath>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataset.h"
#include "run_result.h"
#include "tlm_modules.h"
#include "vcd_writer.h"
#include "workload.h"

namespace systrain {

// set by SIGINT/SIGTERM (sim/main.cpp); the controller stops at the next tile
extern std::atomic<bool> g_interrupted;

class CosimMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Engine {
  ArrayModel* array = nullptr;
  Memory* memory = nullptr;
};

class Controller : public sc_core::sc_module {
 public:
  using Socket = tlm_utils::simple_initiator_socket<Controller>;
  std::vector<std::unique_ptr<Socket>> sockets;  // one per engine

  Controller(sc_core::sc_module_name n, const Config& cfg, const Workload& w, const Samples& samples,
             std::vector<Engine> engines, RunResult& result, VcdWriter* trace, bool progress);
  std::string error() const { return error_; }
  bool mismatch() const { return mismatch_; }

 private:
  SC_HAS_PROCESS(Controller);
  void main();
  void run();
  void init_weights();
  void load_inputs(int64_t first, int64_t m);
  void issue(const Tile& t, const LayerLayout& l);
  void compare(const Tile& t, const LayerLayout& l, const TileRun& a, const TileRun& b);
  void trace_tile(const Tile& t, const TileRun& r);
  void inject_fault(const Tile& t, const LayerLayout& l, TileRun& run);
  void count_dram(int64_t step, int64_t m);
  int64_t score(int64_t first, int64_t m);
  uint64_t period_ps() const { return static_cast<uint64_t>(std::llround(1e6 / cfg_.accelerator.clock_mhz)); }

  const Config& cfg_;
  const Workload& w_;
  const Samples& samples_;
  std::vector<Engine> engines_;
  RunResult& result_;
  VcdWriter* trace_;
  bool progress_;
  ArrayShape shape_;
  Numerics num_;
  sc_core::sc_time period_;
  int64_t cycle_ = 0;
  int step_trace_ = 0;
  std::string error_;
  bool mismatch_ = false;
  std::vector<TileRun> runs_;
  tlm::tlm_generic_payload payload_;
  TileExt ext_;
  // trace signal ids
  int sig_step_ = 0, sig_layer_ = 0, sig_tile_ = 0, sig_phase_ = 0, sig_os_ = 0, sig_busy_ = 0;
  int sig_act_ = 0, sig_wgt_ = 0, sig_psum_ = 0, sig_out_ = 0;
  int64_t step_ = 0;
  int64_t tiles_issued_ = 0;
  std::string fault_kind_;
  int64_t fault_tile_ = -1;
};

}  // namespace systrain
