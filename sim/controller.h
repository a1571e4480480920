// The accelerator's controller: walks the steps of a run and issues each
// step's operations (model/schedule.h) in order: array passes as tile
// transactions to the array target (a TlmArray, an RtlArray, or a CosimArray
// that runs both and compares them), vector-unit operations on the SRAM
// directly. Time advances by the tiles' cycles, the vector unit's cycles and
// the DRAM waits; observers (the tensor dump) see every operation.
//
// The speculative schedule (spec_controller.cpp) drives two engines at once:
// engine 0 runs the forward passes, engine 1 the backward work, each from its
// own SystemC thread with its own socket, array, trace signals and cycle
// count; they meet at the end of every step (see README "Speculative
// backpropagation").
#pragma once
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataset.h"
#include "dram.h"
#include "run_result.h"
#include "schedule.h"
#include "speculation.h"
#include "tlm_modules.h"
#include "vector_unit.h"
#include "workload.h"

namespace systrain {

// One array with the SRAM it reaches. The speculative schedule has two: they
// share one store of values (Memory::share_storage) and count apart.
struct Engine {
  ArrayModel* array = nullptr;
  Memory* memory = nullptr;
  ArrayShape shape;
};

// Called before each step and after each of its operations: the tensor dump
// observes the run through this.
struct StepObserver {
  virtual ~StepObserver() = default;
  virtual void before_step(int64_t step, const Memory& mem, const std::vector<uint8_t>& labels) = 0;
  virtual void after_op(int64_t step, const StepOp& op, const Memory& mem) = 0;
};

class Controller : public sc_core::sc_module {
 public:
  using Socket = tlm_utils::simple_initiator_socket<Controller>;
  Socket socket{"to_array"};
  std::unique_ptr<Socket> socket_b;  // the second engine's (speculative)

  // The schedule as signals, traced to a VCD in the tlm backend: written
  // every cycle inside simulation.vcd_window, held outside it. The second
  // engine's carry the prefix "b_".
  struct Signals {
    explicit Signals(const std::string& prefix);
    sc_core::sc_signal<uint32_t> step, layer, tile;
    sc_core::sc_signal<sc_dt::sc_uint<3>> phase;  // 1 load 2 stream 3 flush 4 drain 5 update 6 writeback
    sc_core::sc_signal<sc_dt::sc_uint<2>> mode;   // 0 ws 1 os 2 ag 3 il
    sc_core::sc_signal<bool> busy, vector, top_rd, left_rd, psum_rd, out_wr;
    void trace(sc_core::sc_trace_file* f);
  };

  Controller(sc_core::sc_module_name n, const Config& cfg, const Workload& w, const Samples& train,
             const Samples& test, std::vector<Engine> engines, RunResult& result, sc_core::sc_trace_file* trace,
             bool progress, StepObserver* observer);
  std::string error() const { return error_; }
  void close_trace();  // idempotent; the run's end or the window's end calls it

 private:
  // One engine as the controller drives it.
  struct Lane {
    int index = 0;
    Socket* socket = nullptr;
    Engine engine;
    std::unique_ptr<Signals> sig;
    tlm::tlm_generic_payload payload;
    TileExt ext;
    TileRun run;
    std::string op_name;  // of the operation being issued (messages)
    int64_t cycle = 0;
    int64_t step = 0;     // the step whose work it does (traces, messages)
    int vector_unit = 0;  // which vector unit it uses (split engines share one)
    std::vector<std::pair<int64_t, int64_t>> busy;  // [from, to) busy cycles since the last barrier
  };

  SC_HAS_PROCESS(Controller);
  void main();
  void run();
  void setup_memories();
  void load_batch(const Samples& s, const std::vector<int64_t>& order, int64_t first, int64_t m, Memory& mem,
                  const Mat& x0);
  void run_step(const std::vector<int64_t>& order, int64_t first, int64_t m, int64_t next_m);
  void run_forward(Lane& lane, const StepOp& op, int64_t m, int64_t next_m, bool first_of_layer);
  void run_pass(Lane& lane, const StepOp& op, OpStats& os, LayerStats* ls);
  double logit(int64_t word) const { return num_.is_float ? w2f(word) : static_cast<double>(word); }
  void run_vector_op(Lane& lane, const StepOp& op, const StepLayout& l, int64_t m, const uint8_t* labels);
  void issue(Lane& lane, const Tile& t);
  void advance(Lane& lane, const Tile& t, const TileRun& r);  // SystemC time over the tile
  void advance_vector(Lane& lane, int64_t cycles);
  void idle_until(Lane& lane, int64_t cycle);  // the engine waits (for DRAM, a vector unit, the other engine)
  void trace_idle(Signals& s);                 // the traced signals say: idle
  void mark_busy(Lane& lane, int64_t from, int64_t to);
  double evaluate();  // test accuracy of the current weights (host only, no cycles)
  OpStats& op_stats(int layer, const std::string& name);
  // a vector-unit operation the SRAM's bandwidth slowed by `extra` cycles
  void slowed_vector(int layer, const std::string& name, int64_t extra);
  void count_op(OpStats& os, const StepOp& op, const AccessCounts& before, const AccessCounts& after, int64_t cycles);

  // the speculative schedule (spec_controller.cpp)
  void setup_speculation();
  void run_spec_step(const std::vector<int64_t>& order, int64_t first, int64_t m, int64_t next_m);
  void finish_speculation();
  void section(const std::function<void()>& forward, const std::function<void()>& backward);
  void backward_thread();
  void barrier();
  void spec_backward(Lane& lane, StepState& st);  // gradient_reuse: the misses' backward pass
  void spec_update(Lane& lane, StepState& st);    // gradient_reuse: the update with the stored gradients
  void spec_vector(Lane& lane, Stage stage, int layer, VectorKind kind, const std::function<SpecOpStats()>& fn,
                   const char* name = nullptr);
  void spec_array(Lane& lane, const StepOp& op, const char* name = nullptr);
  // a baseline vector-unit operation (loss, mask, update) inside the speculative schedule
  SpecOpStats plain_vector(Memory& mem, VectorKind kind, const StepLayout& l, int layer, int64_t m,
                           const uint8_t* labels);
  void join_forward();
  void trace_idle_in_window(Lane& lane);
  struct BackwardCost {
    int64_t cycles = 0, words = 0;  // array and vector-unit cycles; SRAM words read and written
  };
  BackwardCost backward_cost(int64_t rows);  // closed form of a backward pass over `rows` samples
  bool assumed_hit(int64_t step, int64_t sample) const;

  const Config& cfg_;
  const Workload& w_;
  const Samples& train_;
  const Samples& test_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  RunResult& result_;
  sc_core::sc_trace_file* trace_;
  bool progress_;
  StepObserver* observer_;
  Numerics num_;
  StepLayout layout_;
  StepNumerics sn_;
  sc_core::sc_time period_;
  DramSchedule dram_;
  std::string error_;
  int64_t step_ = 0;
  std::vector<uint8_t> labels_;  // of the current step
  LossStats epoch_loss_;
  bool spec_ = false;

  // speculative state
  std::unique_ptr<SpecTables> tables_;
  bool table_in_sram_ = true, dw_spills_ = false;
  StepState prev_;                       // gradient_reuse: the step whose backward pass is pending
  std::vector<int64_t> vector_free_;     // per vector unit: the cycle it is free
  int64_t forward_weights_ready_ = 0;    // dual: the forward engine's copy of the weights has arrived
  int64_t backward_stash_ready_ = 0;     // dual: the backward engine's copy of the stash has arrived
  std::function<void()> b_work_;
  sc_core::sc_event b_start_, b_done_;
  bool b_running_ = false;
  std::string b_error_;
  std::map<int64_t, BackwardCost> backward_cost_cache_;
  std::vector<int64_t> dw_ready_;  // gradient_reuse: per layer, its spilled dW is back
  int64_t epoch_hits_ = 0;
  // the energy by phase: DRAM traffic is given to the stage of the operation
  // that next finishes (count_op), the rest at the run's end to the last one
  DramCounts dram_seen_;
  int last_stage_ = 0;
  void take_dram(int stage);
};

}  // namespace systrain
