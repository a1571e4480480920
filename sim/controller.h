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
#include "dram.h"
#include "run_result.h"
#include "tlm_modules.h"
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

  // The schedule as signals, traced to a VCD in the tlm backend: written
  // every cycle inside simulation.vcd_window, held outside it.
  sc_core::sc_signal<uint32_t> step_sig{"step"}, layer_sig{"layer"}, tile_sig{"tile"};
  sc_core::sc_signal<sc_dt::sc_uint<3>> phase_sig{"phase"};  // 1 load, 2 stream, 3 flush, 4 drain
  sc_core::sc_signal<bool> busy_sig{"busy"}, os_sig{"dataflow_os"}, act_rd_sig{"act_rd"}, wgt_rd_sig{"wgt_rd"},
      psum_rd_sig{"psum_rd"}, out_wr_sig{"out_wr"};

  Controller(sc_core::sc_module_name n, const Config& cfg, const Workload& w, const Samples& samples,
             std::vector<Engine> engines, RunResult& result, sc_core::sc_trace_file* trace, bool progress);
  std::string error() const { return error_; }
  void close_trace();  // idempotent; the run's end or the window's end calls it

 private:
  SC_HAS_PROCESS(Controller);
  void main();
  void run();
  void init_weights();
  void load_inputs(int64_t first, int64_t m);
  void issue(const Tile& t, const LayerLayout& l);
  void compare(const Tile& t, const LayerLayout& l, const TileRun& a, const TileRun& b);
  void advance(const Tile& t, const TileRun& r);  // SystemC time over the tile
  void inject_fault(const Tile& t, const LayerLayout& l, TileRun& run);
  void idle_until(int64_t cycle);  // the array waits (for DRAM)
  void trace_idle();               // the traced signals say: idle
  int64_t score(int64_t first, int64_t m);

  const Config& cfg_;
  const Workload& w_;
  const Samples& samples_;
  std::vector<Engine> engines_;
  RunResult& result_;
  sc_core::sc_trace_file* trace_;
  bool progress_;
  ArrayShape shape_;
  Numerics num_;
  sc_core::sc_time period_;
  int64_t cycle_ = 0;
  DramSchedule dram_;
  int step_trace_ = 0;
  std::string error_;
  std::vector<TileRun> runs_;
  tlm::tlm_generic_payload payload_;
  TileExt ext_;
  int64_t step_ = 0;
  int64_t tiles_issued_ = 0;
  std::string fault_kind_;
  int64_t fault_tile_ = -1;
};

}  // namespace systrain
