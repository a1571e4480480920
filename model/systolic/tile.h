// A tile: one pass of an operand block through the array in one mode, and its
// closed-form timing and memory accesses (the contract the RTL controller in
// rtl/systolic/systolic_top.sv keeps, cycle for cycle).
//
// R×C array, VD = R + C; ru/cu = rows/columns in use, L = len (stream rows);
// s = 2 for an interleaved tile that computes dX on one-multiplier PEs, else 1.
//   IS (forward Yᵀ = Wᵀ·Xᵀ; tile = a (k0, m0) block of Xᵀ, which stays in
//       the PEs while the N rows of Wᵀ stream): as WS with L = N, the
//       block's rows = k, its columns = output rows m (SCALE-Sim's IS).
//   WS (forward Y = X·W; tile = a (k0, n0) block of W):
//       LOAD ru, STREAM L, DRAIN VD:            cycles = ru + L + VD
//       With weight double-buffering (array.weight_double_buffer) a WS
//       tile reads the next tile's block (pf_rows × pf_cols, row
//       pf_rows−1−j in stream cycle j, through the top port the WS stream
//       leaves free) into shadow registers, and that tile (`preloaded`)
//       skips LOAD:                             cycles = L + VD
//       (a pass's first tile loads; a tile preloads when L >= the next ru).
//   AG (dX = dY·Wᵀ on the same stationary block of W):
//       LOAD ru, STREAM L, DRAIN VD:            cycles = ru + L + VD
//   OS (forward Y = X·W or WG dW = Xᵀ·dY; tile = an output block):
//       STREAM L, FLUSH VD−1, DRAIN R:          cycles = L + 2R + C − 1
//   IL (AG and WG on one stream of dY, then W −= η·dW in the PEs):
//       LOAD ru, STREAM s·L, DRAIN s·VD, UPDATE 1, WRITEBACK R:
//                                               cycles = ru + s·(L + VD) + 1 + R
// Stream row j is read in stream cycle s·j; its result row leaves in stream
// cycle s·(j + VD) − (s − 1).
// Worked example: WS, R=C=4, K=6, N=5, M=3, tile (k0=4, n0=4): ru=2, cu=1,
// cycles = 2+3+4+4 = 13; reads: 2 weight words, 3·2 x words, 3·1·words_per_psum
// partial-sum words (not the first k block); writes 3 output words (last k block).
// The same block in IL with one multiplier (dX of rows k0..k0+1): 2 + 2·(3+8)
// + 1 + 4 = 29 cycles.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "operand.h"

namespace systrain {

struct Gemm {
  int64_t m = 0, k = 0, n = 0;
};

// IS (input stationary) is the WS datapath with the operands' roles swapped:
// a block of Xᵀ is held in the PEs while Wᵀ streams, Yᵀ = Wᵀ·Xᵀ. The RTL
// runs it as a WS tile (hardware_mode) on transposed views.
enum class Mode : int { kWs = 0, kOs = 1, kAg = 2, kIl = 3, kIs = 4 };
const char* to_string(Mode m);
// the controller's mode input (rtl/common/systrain_pkg.sv) a tile runs in
inline int hardware_mode(Mode m) { return m == Mode::kIs ? int(Mode::kWs) : int(m); }

// Where each port of the array reads or writes, positioned at the tile's
// origin: `index` steps along rs, lanes along cs (see Mat::row).
struct TileIo {
  Mat load;  // LOAD: weight row `index` of the block (cu lanes)
  Mat top;   // STREAM: OS B operand / AG, IL dY, row j (cu lanes)
  Mat left;  // STREAM: WS, IL X / OS A operand, row j (ru lanes)
  Mat psum;  // STREAM: partial sums in, row j (WS: cu lanes; AG, IL: xu lanes)
  Mat out;   // results (WS: cu lanes of sample j; OS: cu lanes of tile row i;
             // AG, IL: xu lanes of sample j); a psum view unless `last`
  Mat wb;    // IL WRITEBACK: updated weight row i (cu lanes)
  Mat next_load;  // WS double-buffering: the next tile's weight block (pf_cols lanes)
};

struct Tile {
  Mode mode = Mode::kWs;
  int layer = 0;
  int64_t index = 0;          // within its pass
  int64_t m0 = 0, k0 = 0, n0 = 0;
  int ru = 0, cu = 0, xu = 0;  // rows, columns in use; AG/IL: dX lanes
  int64_t len = 0;
  bool first = true, last = true, relu = false;
  bool ag = false;            // AG, or IL that also computes dX
  bool slow = false;          // IL on one multiplier with ag: s = 2
  bool preloaded = false;     // WS: the weights are in the shadow registers; no LOAD
  int pf_rows = 0, pf_cols = 0;  // WS: preload the next tile's block (0: none)
  int shift = 0;              // requantisation shift of results
  int g_shift = 0, upd_shift = 0;  // IL update (see fixed_point.h: sgd_update)
  int64_t lr = 0;
  TileIo io;
  int s() const { return slow ? 2 : 1; }
  bool ws_like() const { return mode == Mode::kWs || mode == Mode::kIs; }  // the WS datapath
  bool loads() const { return mode != Mode::kOs && !preloaded; }
  bool reads_psum() const { return !first && (ws_like() || ag); }
  bool row_outputs() const { return ws_like() || ag; }
};

struct ArrayShape {
  int rows = 0, cols = 0;
  int words_per_psum = 2;
  int multipliers = 1;  // per PE (accelerator.array.pe_multipliers)
  // the SRAM's limits (model/systolic/bandwidth.h); 0 = none
  int banks = 0, words_per_cycle = 0;
  bool weight_double_buffer = false;  // WS tiles preload the next tile's weights
  int64_t words_per_element(Operand op) const { return op == Operand::kPsum ? words_per_psum : 1; }
};

// the array of a config, with its SRAM's limits
ArrayShape array_shape(const Config& cfg);

// words moved at the array boundary by one tile, per operand
struct TileAccesses {
  int64_t reads[static_cast<int>(Operand::kCount)] = {};
  int64_t writes[static_cast<int>(Operand::kCount)] = {};
};

struct TileCost {
  int64_t cycles = 0;
  TileAccesses acc;
};

TileCost tile_cost(const Tile& t, const ArrayShape& a);

// One memory access of a tile, cycle-stamped relative to the tile's first
// cycle; `index` is the row of the port's view (TileIo). Within a cycle the
// order is top (or load), left, psum, out.
enum class Port : uint8_t { kTop = 0, kLeft, kPsum, kOut };  // the load uses the top port
struct AccessEvent {
  int64_t cycle = 0;
  Operand op = Operand::kX;
  bool write = false;
  int64_t index = 0;
  int64_t words = 0;
  Port port = Port::kTop;
  bool operator==(const AccessEvent& o) const {
    return cycle == o.cycle && op == o.op && write == o.write && index == o.index && words == o.words &&
           port == o.port;
  }
};

// The controller's phases (the `phase` output of rtl/systolic/systolic_top.sv).
enum class Phase : int { kIdle = 0, kLoad, kStream, kFlush, kDrain, kUpdate, kWriteback, kCount };
const char* to_string(Phase p);

// Cycles a tile spends in each phase; they add up to tile_cost().cycles.
std::array<int64_t, int(Phase::kCount)> tile_phases(const Tile& t, const ArrayShape& a);

// The phase of the tile's cycle `rel` (0 = its first cycle).
Phase phase_at(const Tile& t, const ArrayShape& a, int64_t rel);

// Every access of a tile in cycle order (the closed-form schedule).
std::vector<AccessEvent> tile_events(const Tile& t, const ArrayShape& a);

std::string describe(const Tile& t);
std::string describe(const AccessEvent& e);

}  // namespace systrain
