#include "array_model.h"

namespace systrain {

// below this many MACs a tile is cheaper on one thread than to fork for
constexpr int64_t kParallelMacs = 1 << 16;
// the widest array (config schema: cols <= 256)
constexpr int64_t kMaxCols = 256;

TileRun TlmArray::run_tile(const Tile& t, const LayerLayout& l, MemoryPort& mem, int64_t /*start_cycle*/,
                           bool record_events) {
  TileRun run;
  run.cycles = tile_cost(t, shape_).cycles;
  run.phase_cycles = tile_phases(t, shape_);
  if (record_events) {
    run.events = tile_events(t, shape_);
    run.phases.resize(run.cycles);
    for (int64_t c = 0; c < run.cycles; ++c) run.phases[c] = static_cast<uint8_t>(phase_at(t, shape_, c));
  }
  const bool ws = t.dataflow == Dataflow::kWs;
  const Operand out_op = output_operand(t);
  const Access2D xa = tile_block(t, l, Operand::kActivations, false);
  const Access2D wa = tile_block(t, l, Operand::kWeights, false);
  const Access2D ya = tile_block(t, l, out_op, true);
  if (!functional_) {
    mem.read(wa, Operand::kWeights, nullptr);
    mem.read(xa, Operand::kActivations, nullptr);
    if (ws && !t.first) mem.read(tile_block(t, l, Operand::kPartialSums, false), Operand::kPartialSums, nullptr);
    mem.write(ya, out_op, nullptr);
    return run;
  }
  x_.resize(xa.elements());
  w_.resize(wa.elements());
  y_.resize(ya.elements());
  mem.read(wa, Operand::kWeights, w_.data());
  mem.read(xa, Operand::kActivations, x_.data());
  // Sums are taken modulo 2^64 and wrapped to acc_bits once per output: the
  // RTL wraps after every MAC, and wrapping is a ring homomorphism, so the
  // result is the same word. The inner loops run over contiguous columns.
  const int aw = num_.acc_bits;
  const int64_t ru = t.ru, cu = t.cu, L = t.len;
  if (ws) {
    // x_ is [L][ru], w_ is [ru][cu], y_ is [L][cu]
    if (!t.first) {
      p_.resize(ya.elements());
      mem.read(tile_block(t, l, Operand::kPartialSums, false), Operand::kPartialSums, p_.data());
    }
    // rows are independent: the result is the same for any thread count
#pragma omp parallel for schedule(static) if (L * ru * cu >= kParallelMacs)
    for (int64_t m = 0; m < L; ++m) {
      uint64_t acc[kMaxCols];
      for (int64_t c = 0; c < cu; ++c) acc[c] = t.first ? 0 : static_cast<uint64_t>(p_[m * cu + c]);
      for (int64_t r = 0; r < ru; ++r) {
        const auto xv = static_cast<uint64_t>(x_[m * ru + r]);
        const int64_t* wr = &w_[r * cu];
        for (int64_t c = 0; c < cu; ++c) acc[c] += xv * static_cast<uint64_t>(wr[c]);
      }
      for (int64_t c = 0; c < cu; ++c) {
        const int64_t v = wrap(static_cast<int64_t>(acc[c]), aw);
        y_[m * cu + c] = t.last ? requant(v, num_, t.relu) : v;
      }
    }
  } else {
    // x_ is [ru][L], w_ is [L][cu], y_ is [ru][cu]
#pragma omp parallel for schedule(static) if (ru * cu * L >= kParallelMacs)
    for (int64_t r = 0; r < ru; ++r) {
      uint64_t acc[kMaxCols] = {};
      for (int64_t k = 0; k < L; ++k) {
        const auto xv = static_cast<uint64_t>(x_[r * L + k]);
        const int64_t* wk = &w_[k * cu];
        for (int64_t c = 0; c < cu; ++c) acc[c] += xv * static_cast<uint64_t>(wk[c]);
      }
      for (int64_t c = 0; c < cu; ++c) y_[r * cu + c] = requant(wrap(static_cast<int64_t>(acc[c]), aw), num_, t.relu);
    }
  }
  mem.write(ya, out_op, y_.data());
  return run;
}

}  // namespace systrain
