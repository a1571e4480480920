// The DRAM side of the accelerator: one DMA channel between DRAM and the SRAM
// buffers, and the schedule of transfers a run issues on it. It lives outside
// the array (the RTL models the array), so it is the same for every backend.
//
// Channel: a transfer of w words (data_bits each) occupies the channel for
//   latency_cycles + ceil(w · data_bits/8 / bytes_per_cycle)
// cycles; transfers run one at a time, in the order they are issued, each
// starting no earlier than the cycle it is issued in.
//
// Schedule of one step (M samples), in the order the controller calls it:
//   - the step's input batch (M·K0 words) was fetched ahead: the first step
//     fetches it at its start, every step prefetches the next step's input as
//     its first layer starts (the input region is double-buffered);
//   - weights: when all layers' weights fit in sram.weights_kib they are
//     fetched once, in the first step, layer by layer; otherwise every step
//     fetches them again, each layer's as the previous layer starts (the
//     weight buffer holds two layers);
//   - a layer starts when its input and weights have arrived: the cycles it
//     waits are stall cycles;
//   - a layer whose X and Y together exceed sram.activations_kib writes Y to
//     DRAM when it ends, and the next layer waits to read it back;
//   - the last layer's outputs are written when the step ends (posted: they
//     do not stop the next step, but they hold the channel).
// Training adds, per step (training_step = true):
//   - the stash: what each layer's backward pass reads from the activations
//     buffer: its X (a conv's im2col columns), the argmax masks of its
//     maxpools, and the ReLU output of the layer below when that is not
//     already its X. When the stash of every layer and the logits together
//     exceed sram.activations_kib, each layer's stash is written to DRAM when
//     its forward pass ends (not the first layer's input, which is in DRAM
//     already), and read back before its backward pass (which waits for it);
//   - weights that are not resident are read again before each layer's
//     backward pass (it waits for them) and written back after its update;
//   - a layer's backward working set in the gradients buffer is its dY, the
//     dX it produces (a conv's column gradients and what col2im, unpool and
//     unflatten make of them), and its AG pass's partial sums at two words
//     each (the first layer has no AG pass, so only its dY). When
//     that and its dW exceed sram.gradients_kib, the baseline's dW is
//     written to DRAM after the WG pass and read back before the update
//     (which waits); the interleaved schedule never stores dW. When the
//     working set alone exceeds it, dY is written to DRAM too and read back
//     before every pass that reads it (AG and WG; one IL pass).
// The run ends when the last tile and the last DRAM write are done; cycles
// the array spends idle until then count as stall too.
// Worked example (tests/test_dram.cpp): latency 10, 4 bytes a cycle, 16-bit
// words, one layer 8→4 (32 weight words), M = 2: step 0 fetches 16 input
// words (10 + 8 = 18 cycles) then 32 weight words (10 + 16 = 26 cycles): the
// layer starts at cycle 44 after 44 stall cycles.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "config.h"
#include "tile.h"
#include "workload.h"

namespace systrain {

class DmaChannel {
 public:
  DmaChannel(int64_t latency_cycles, int64_t bytes_per_cycle, int64_t data_bits)
      : latency_(latency_cycles), bytes_per_cycle_(bytes_per_cycle), data_bits_(data_bits) {}
  int64_t duration(int64_t words) const {
    return latency_ + (words * data_bits_ / 8 + (words * data_bits_ % 8 ? 1 : 0) + bytes_per_cycle_ - 1) /
                          bytes_per_cycle_;
  }
  // Queues a transfer issued at `cycle`; returns the cycle it completes (the
  // first cycle its data can be used).
  int64_t transfer(int64_t cycle, int64_t words);
  int64_t free_at() const { return free_at_; }

 private:
  int64_t latency_, bytes_per_cycle_, data_bits_;
  int64_t free_at_ = 0;
};

struct DramCounts {
  std::array<int64_t, int(Operand::kCount)> reads{}, writes{};
  // per operand, the cycle its first read (write) began and its last one
  // ended (-1: none); kept for the ops that issue them (SCALE-Sim's detailed
  // report)
  std::array<int64_t, int(Operand::kCount)> read_first{}, read_last{}, write_first{}, write_last{};
  void no_spans() { read_first.fill(-1), read_last.fill(-1), write_first.fill(-1), write_last.fill(-1); }
  int64_t total_reads() const { int64_t s = 0; for (auto v : reads) s += v; return s; }
  int64_t total_writes() const { int64_t s = 0; for (auto v : writes) s += v; return s; }
};

class DramSchedule {
 public:
  DramSchedule(const Config& cfg, const Workload& w);
  // The cycle at which layer `layer` of step `step` (m samples; the next
  // step has next_m, 0 if none) can start, given that the array is free at
  // `cycle`. Call for every layer in order, then layer_done().
  int64_t layer_ready(int64_t step, int64_t m, int64_t next_m, int layer, int64_t cycle);
  // layer `layer` of a step of m samples ended at `cycle`
  void layer_done(int64_t m, int layer, int64_t cycle, bool training_step = false);
  // the backward pass of `layer` can start (training); then backward_done()
  int64_t backward_ready(int64_t m, int layer, int64_t cycle);
  void backward_done(int layer, int64_t cycle);
  bool stash_spills(int64_t m) const;
  bool gradients_spill(int64_t m, int layer) const;
  bool dy_spills(int64_t m, int layer) const;
  // a backward pass of `layer` reads its dY: when dY spills, the cycle it is
  // back (`first`: the first pass of the layer also writes it out), else cycle
  int64_t dy_ready(int64_t m, int layer, int64_t cycle, bool first);
  // words a sample of the layer's stash holds (see above)
  int64_t stash_words(int layer) const { return stash_ps_[layer]; }
  // words of a layer's backward working set in the gradients buffer (its dY,
  // the dX it produces, the partial sums at two words each), without dW
  int64_t gradients_working_set(int64_t m, int layer) const;
  // dW of `layer` leaves SRAM at `cycle`; returns when it is back
  int64_t spill_dw(int layer, int64_t cycle);
  // Transfers the speculative schedule issues itself (its tables when they
  // live in DRAM, the dual engines' copies): fetch returns the cycle the
  // words have arrived; a store is posted.
  int64_t fetch(int64_t cycle, Operand op, int64_t words) { return read(cycle, op, words); }
  void store(int64_t cycle, Operand op, int64_t words) { write(cycle, op, words); }
  // the X stash held `slots` times (the speculative split engines keep two steps)
  void set_stash_slots(int slots) { stash_slots_ = slots; }
  // the weights of `layer` are in SRAM (fetched when they are not resident)
  int64_t weights_ready(int layer, int64_t cycle);
  bool weights_resident() const { return weights_resident_; }
  int64_t gradients_capacity_words() const { return grad_capacity_words_; }
  // the cycle the run's last DRAM transfer is done
  int64_t end() const { return dma_.free_at(); }
  const DramCounts& counts() const { return counts_; }
  // the transfers issued since the last call: their words and spans, per operand
  DramCounts take_recent();

 private:
  int64_t read(int64_t cycle, Operand op, int64_t words);
  int64_t transfer(int64_t cycle, Operand op, int64_t words, bool write);
  void write(int64_t cycle, Operand op, int64_t words);

  bool spills(int64_t m, int layer) const;

  const Workload& w_;
  std::vector<int64_t> stash_ps_, grad_ps_;  // per layer, words a sample: stash; backward working set without dW
  int64_t stash_sum_ = 0;                    // Σ stash_ps_ (stash_spills is asked once a layer)
  DmaChannel dma_;
  bool weights_resident_;
  int64_t act_capacity_words_, grad_capacity_words_;
  DramCounts counts_;
  DramCounts recent_;  // since take_recent()
  int64_t input_ready_ = 0;              // this step's input batch is in SRAM
  std::vector<int64_t> weights_ready_;   // per layer: its weights are in SRAM
  int64_t spill_ready_ = 0;              // the previous layer's spilled Y is back
  int stash_slots_ = 1;
};

}  // namespace systrain
