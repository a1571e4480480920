// The SystemC side of a run: gives the model's executor (model/train/
// op_executor.h) time, threads and trace signals, and nothing else. Each
// engine has an initiator socket to its array target (a TlmArray, an RtlArray,
// or a CosimArray that runs both and compares them): a tile is one
// transaction, whose annotated delay the engine's thread waits, cycle by
// cycle inside the trace window. The vector unit's operations and the waits
// for DRAM pass as plain waits. Two engines (the speculative schedule) run
// from two SystemC threads: the main thread drives engine 0 and the work
// after each section, backward_thread() engine 1 inside a section. A TLM pass
// is one wait; where both threads wake at one cycle they run in the order
// they would with every tile its own wait (model/train/tie_order.h).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "op_executor.h"
#include "samples.h"
#include "tie_order.h"
#include "tlm_modules.h"
#include "workload.h"

namespace systrain {

// One array with the SRAM it reaches. The speculative schedule has two: they
// share one store of values (Memory::share_storage) and count apart.
struct Engine {
  ArrayModel* array = nullptr;
  Memory* memory = nullptr;
  ArrayShape shape;
};

class Controller : public sc_core::sc_module, public OpExecutor {
 public:
  using Socket = tlm_utils::simple_initiator_socket<Controller>;
  Socket socket{"to_array"};
  std::unique_ptr<Socket> socket_b;  // the second engine's (speculative)

  // The schedule as signals, traced to a VCD in the tlm backend: written
  // every cycle inside simulation.vcd_window, held outside it. The second
  // engine's carry the prefix "b_".
  // The second engine's are written by backward_thread() inside a section and
  // by the main thread after it (the update runs on engine 1), and both may
  // write them in one delta cycle where a section ends: the threads take
  // turns in a fixed order, so the last write stands, unchecked.
  template <class T>
  using Signal = sc_core::sc_signal<T, sc_core::SC_UNCHECKED_WRITERS>;
  struct Signals {
    explicit Signals(const std::string& prefix);
    Signal<uint32_t> step, layer, tile;
    Signal<sc_dt::sc_uint<3>> phase;  // 1 load 2 stream 3 flush 4 drain 5 update 6 writeback
    Signal<sc_dt::sc_uint<2>> mode;   // 0 ws 1 os 2 ag 3 il
    Signal<bool> busy, vector, top_rd, left_rd, psum_rd, out_wr;
    void trace(sc_core::sc_trace_file* f);
  };

  Controller(sc_core::sc_module_name n, RunContext& ctx, const Samples& train, const Samples& test,
             std::vector<Engine> engines, sc_core::sc_trace_file* trace, bool progress, StepObserver* observer);
  ~Controller() override;
  std::string error() const { return error_; }
  int64_t window_busy() const { return window_busy_; }  // tile cycles inside the trace window
  void close_trace();  // idempotent; the run's end or the window's end calls it

 protected:
  const TileRun& backend_tile(int e, const Tile& t) override;
  bool backend_tiles(int e, const PassTiming& t) override;
  void backend_vector(int e, int64_t cycles) override;
  void backend_idle(int e, int64_t until) override;
  void backend_hold(int e, int64_t until) override;
  void backend_parallel(const std::function<void()>& on_engine0, const std::function<void()>& on_engine1) override;
  void backend_sync(int64_t cycle) override;

 private:
  struct Lane {
    Socket* socket = nullptr;
    ArrayModel* array = nullptr;
    std::unique_ptr<Signals> sig;
    tlm::tlm_generic_payload payload;
    TileExt ext;
    TileRun run;
    int64_t pending = -1;  // inside a section: the cycle its timed wakeup is for, while it waits one
  };

  SC_HAS_PROCESS(Controller);
  void main();
  void backward_thread();
  void advance(int e, const Tile& t, const TileRun& r);  // SystemC time over the tile
  void trace_idle(Signals& s);                           // the traced signals say: idle
  void trace_idle_in_window(int e);
  bool in_window(int64_t from, int64_t to) const;        // [from, to) meets the trace window
  // Time passes for engine e's thread: `cycles`, or a pass's tiles (run-
  // length coded) in one wait. Inside a section the wait goes into ties_, and
  // where the other engine's thread wakes at the same cycle the two then run
  // in the order they would tile by tile.
  void pass_time(int e, int64_t cycles, const TieOrder::Tiles* tiles = nullptr);
  int64_t cycle_now() const;  // SystemC's time in cycles

  int64_t window_busy_ = 0;

  const Samples& train_;
  const Samples& test_;
  bool progress_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  sc_core::sc_trace_file* trace_;
  sc_core::sc_time period_;
  std::string error_;
  // the section's engine-1 work and its end
  std::function<void()> b_work_;
  sc_core::sc_event b_start_, b_done_;
  bool b_running_ = false;
  std::string b_error_;
  bool section_ = false;            // two threads may run: their waits go into ties_
  TieOrder ties_;
  bool model_ = false;              // two engines whose ties ties_ decides
  bool one_wait_per_pass_ = false;  // and a TLM pass is one wait inside a section (backend_tiles)
};

}  // namespace systrain
