// The speculative schedule's per-label tables and the vector-unit operations
// that read and refresh them (pure C++; the controller runs them on the
// engines, see README "Speculative backpropagation").
//
// gradient_reuse (Purkayastha et al.): per label c the table holds q_c, the
// last output distribution seen for c (n_last words), and the last computed
// gradient of c in factored form: for every layer l the input row x_l and the
// error row dy_l of c's last sample that missed (kw_l + n_l words; one
// sample's gradient of a dense layer is the outer product x_lᵀ·dy_l, so the
// factors hold it exactly in kw_l + n_l words instead of kw_l·n_l).
//   loss    after the forward pass of a step: softmax p of every sample; a
//           sample hits when its label has a stored q and
//           CE(q, p) = −Σ_k q_k·log p_k < threshold; q_label ← p always (in
//           sample order); the error rows of the misses are written packed
//           (row r = the r-th miss) for the backward pass.
//   gather  the stash rows (every layer's x) of the misses are packed the
//           same way, so the backward GEMMs stream only the misses.
//   table   after the backward pass: for each label that missed, its last
//           miss's x_l and dy_l rows are written to the table.
//   update  W_l ← W_l − η·(dW_l + Σ_c h_c·x_cᵀ·dy_c): dW_l of the misses
//           (from the WG pass) plus, for each label c with h_c hits in the
//           step, h_c times its stored gradient; fixed point: the stored
//           products are summed exactly, requantised like a WG result and
//           added to dW with saturation, then the usual SGD rounding.
// output_speculation (Park & Suh): per label c the table holds q_c and the
// ReLU masks of the hidden layers (n_l bits: ceil(n_l / data_bits) words).
//   loss    (speculative) dY_L = (q_label − onehot)/m before the forward
//           pass has ended (a label with no q yet: uniform);
//   mask    (speculative) the AG chain's ReLU masks come from the table (a
//           label with no masks yet: every unit passes);
//   verify  when the forward pass has ended: the true softmax p of every
//           sample against its label's q (the same CE test); q and the
//           masks are refreshed from the true outputs. A miss recomputes the
//           step's error chain with the true values (the plain loss, AG and
//           mask ops over the batch).
// Table words are counted like every other operand (operand `table`), in the
// gradients buffer when the table fits beside a layer's backward working set,
// else at the DRAM interface (and the operations wait for its reads).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "memory.h"
#include "schedule.h"
#include "vector_unit.h"

namespace systrain {

struct SpecTables {
  SpecTables(const Workload& w, SpecPolicy policy, int data_bits);
  SpecPolicy policy;
  int classes = 0, data_bits = 16;
  std::vector<uint8_t> has_q, has_g;  // per label: q stored; a gradient stored (a hit needs one)
  std::vector<int64_t> q;                       // [c][n_last] words
  // gradient_reuse: a label's last gradient, factored: the R_l rows (GEMM
  // rows a sample: 1 dense, H'·W' conv) of x and dy of every layer,
  // [l][(c·R_l + r)·kw_l + i] and [l][(c·R_l + r)·n_l + j]
  std::vector<std::vector<int64_t>> gx, gdy;
  // output_speculation: the ReLU masks of the hidden layers,
  // [l][c·R_l·n_l + e], and the argmax masks of the maxpools, [l][s][c·E + e]
  // (E = the pooled image's elements; other stages empty)
  std::vector<std::vector<uint8_t>> mask;
  std::vector<std::vector<std::vector<int64_t>>> pool;
  int64_t words_per_label(const Workload& w) const;
  // what the tables above take of the host's memory, a label (bytes)
  static int64_t host_bytes_per_label(const Workload& w, SpecPolicy policy);
};

// What one operation did to the table (words), and how much work it was.
struct SpecOpStats {
  int64_t table_reads = 0, table_writes = 0;
  int64_t elements = 0;  // vector-unit work: cycles = ceil(elements / lanes) + latency
  LossStats loss;
};

// One step in flight: its samples, their labels and the decisions.
struct StepState {
  int64_t step = -1, m = 0;
  int slot = 0;
  std::vector<uint8_t> labels;   // per sample
  std::vector<uint8_t> hit;      // per sample
  std::vector<int64_t> misses;   // the samples that missed, in order
  int64_t hits() const { return m - static_cast<int64_t>(misses.size()); }
};

// What a speculative vector operation (schedule.h) works on beside the
// memory: the tables, the step in flight and how samples are decided; and
// where the tables live (the gradients buffer, or DRAM: see above).
struct SpecContext {
  SpecTables* tables = nullptr;
  StepState* state = nullptr;
  double threshold = 0;
  std::function<bool(int64_t)> assumed_hit;
  bool table_in_sram = true;
  // output_speculation verifying per sample: verify writes the misses' true
  // errors in place; gather packs the rows their recomputation reads into
  // `pack` (the other slot's regions), scatter writes its errors back
  bool per_sample = false;
  const StepLayout* pack = nullptr;
};

// Runs one speculative operation (is_speculative(op.vector)) on `mem`.
SpecOpStats run_speculative(const StepOp& op, Memory& mem, const Workload& w, const Numerics& num,
                            const StepNumerics& sn, float lr, bool functional);

// `assumed_hit(i)`: timing-only runs decide sample i by the assumed hit rate.
SpecOpStats gr_loss(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, SpecTables& t,
                    double threshold, bool functional, const std::function<bool(int64_t)>& assumed_hit,
                    StepState& st);
SpecOpStats gr_gather(Memory& mem, const Workload& w, const StepLayout& l, const StepState& st, bool functional);
SpecOpStats gr_refresh(Memory& mem, const Workload& w, const StepLayout& l, const StepState& st, SpecTables& t,
                       bool functional);
SpecOpStats gr_update(Memory& mem, const Workload& w, const StepLayout& l, int layer, const StepState& st,
                      const SpecTables& t, const Numerics& num, const StepNumerics& sn, float lr, bool functional);

SpecOpStats os_loss(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, const SpecTables& t,
                    const StepState& st, bool functional);
SpecOpStats os_mask(Memory& mem, const Workload& w, const StepLayout& l, int layer, const SpecTables& t,
                    const StepState& st, const Numerics& num, bool functional);
// the speculative unpool: stage `sub` of layer `layer`, the argmax of each
// sample's label from the table (unpool, vector_unit.h, with a stored mask)
SpecOpStats os_unpool(Memory& mem, const Workload& w, const StepLayout& l, int layer, int sub, const SpecTables& t,
                      const StepState& st, const Numerics& num, bool functional);
// per-sample verification: the misses' dY of the last layer, the ReLU
// outputs their masks read and the pools' argmax masks, packed into `pack`
// (row r = the r-th miss); then their recomputed errors of every layer but
// the last, back to the misses' rows of l
SpecOpStats os_gather(Memory& mem, const Workload& w, const StepLayout& l, const StepLayout& pack,
                      const StepState& st, bool functional);
SpecOpStats os_scatter(Memory& mem, const Workload& w, const StepLayout& l, const StepLayout& pack,
                       const StepState& st, bool functional);
// `in_place_errors`: per-sample verification writes each miss's true error
// row (the plain loss's) in place
SpecOpStats os_verify(Memory& mem, const Workload& w, const StepLayout& l, const Numerics& num, SpecTables& t,
                      double threshold, bool functional, const std::function<bool(int64_t)>& assumed_hit,
                      StepState& st, bool in_place_errors = false);

// −Σ_k q_k·log p_k (p clamped at 1e-300)
double cross_entropy(const double* q, const double* p, int64_t n);

}  // namespace systrain
