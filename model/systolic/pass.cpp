#include "pass.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "array_model.h"
#include "bandwidth.h"
#include "mode.h"

namespace systrain {

int64_t pass_macs(const Pass& p) {
  const int64_t base = p.g.m * p.g.k * p.g.n;
  return p.mode == Mode::kIl && p.ag ? base + p.g.m * p.dx_rows * p.g.n : base;
}

std::vector<Tile> tile_pass(const Pass& p, const ArrayShape& a, int multipliers) {
  return mode_schedule(p.mode).tiles(p, a, multipliers);
}

int64_t pass_closed_form(const Pass& p, const ArrayShape& a) { return pass_timing(p, a).cycles; }

void PassTiming::add(const Tile& t, int64_t c, int64_t stalls, const std::array<int64_t, int(Phase::kCount)>& phases,
                     int64_t count) {
  tiles += count;
  cycles += c * count;
  stall_cycles += stalls * count;
  for (int i = 0; i < int(Phase::kCount); ++i) phase_cycles[i] += phases[i] * count;
  mapped_pes += int64_t{t.ru} * t.cu * count;
  if (c <= 0) return;
  const int64_t busy = int64_t{t.ru} * t.cu * t.len * count;
  auto it = std::lower_bound(busy_by_cycles.begin(), busy_by_cycles.end(), std::make_pair(c, int64_t{0}),
                             [](const auto& x, const auto& y) { return x.first < y.first; });
  if (it != busy_by_cycles.end() && it->first == c) it->second += busy;
  else busy_by_cycles.insert(it, {c, busy});
}

double PassTiming::utilization(const ArrayShape& a) const {
  const double pes = static_cast<double>(a.rows) * a.cols;
  double u = 0;
  for (const auto& [c, busy] : busy_by_cycles) u += static_cast<double>(busy) / (pes * static_cast<double>(c));
  return u;
}

namespace {

// The indices of one dimension of n blocks in classes: each the indices
// rep, rep + step, ... (count of them). `own` indices are each a class;
// between them, a run of indices (whose tiles are alike but for their bank
// pattern) is cut by index modulo the period.
struct IndexClass {
  int64_t rep = 0, count = 1, step = 1;
};
std::vector<IndexClass> index_classes(int64_t n, int64_t period, const std::vector<int64_t>& special) {
  std::set<int64_t> own{0, 1, n - 2, n - 1};
  for (int64_t s : special) own.insert({s - 1, s});
  std::vector<IndexClass> out;
  int64_t from = 0;  // the run [from, i)
  auto run = [&](int64_t to) {
    for (int64_t r = from; r < std::min(from + period, to); ++r) out.push_back({r, (to - r + period - 1) / period, period});
  };
  for (int64_t i : own) {
    if (i < 0 || i >= n) continue;
    run(i);
    out.push_back({i, 1, 1});
    from = i + 1;
  }
  run(n);
  return out;
}

// the class of each index
std::vector<uint32_t> class_of_index(int64_t n, const std::vector<IndexClass>& cls) {
  std::vector<uint32_t> of(static_cast<size_t>(n));
  for (size_t k = 0; k < cls.size(); ++k)
    for (int64_t j = 0; j < cls[k].count; ++j) of[cls[k].rep + j * cls[k].step] = static_cast<uint32_t>(k);
  return of;
}

// The period, in blocks, of a dimension's bank pattern: its operands' word
// addresses advance by a fixed step from block to block (measured on pairs
// of tiles one block apart: a mode may switch an operand's view with the
// other dimension's index, as WS writes its last k block to Y), so their
// banks repeat every banks / gcd(banks, steps) blocks.
int64_t bank_period(const std::vector<std::pair<Tile, Tile>>& pairs, const ArrayShape& a) {
  if (a.banks <= 0) return 1;
  int64_t g = 0;
  for (const auto& [from, to] : pairs)
    for (auto m : {&TileIo::load, &TileIo::top, &TileIo::left, &TileIo::psum, &TileIo::out, &TileIo::wb}) {
      const Mat &x = from.io.*m, &y = to.io.*m;
      g = std::gcd(g, std::abs(y.base - x.base) * a.words_per_element(x.op));
    }
  return a.banks / std::gcd(int64_t{a.banks}, g);
}

// the classes of both dimensions; tile class ko·|ic| + ki is (oc[ko], ic[ki])
struct GridClasses {
  Grid g;
  std::vector<IndexClass> oc, ic;
};
GridClasses grid_classes(const Pass& p, const ArrayShape& a, int multipliers) {
  const ModeSchedule& ms = mode_schedule(p.mode);
  GridClasses gc{ms.grid(p, a), {}, {}};
  const Grid& g = gc.g;
  if (g.outer <= 0 || g.inner <= 0) return gc;
  auto at = [&](int64_t o, int64_t i) { return ms.tile(p, a, multipliers, o, i); };
  // the period of each dimension, measured on two blocks away from its ends,
  // at each end of the other
  int64_t po = 1, pi = 1;
  if (g.outer >= 6) po = bank_period({{at(2, 0), at(3, 0)}, {at(2, g.inner - 1), at(3, g.inner - 1)}}, a);
  if (g.inner >= 6) pi = bank_period({{at(0, 2), at(0, 3)}, {at(g.outer - 1, 2), at(g.outer - 1, 3)}}, a);
  gc.oc = index_classes(g.outer, po, g.special_outer), gc.ic = index_classes(g.inner, pi, {});
  return gc;
}

std::vector<TileClass> classes_of(const Pass& p, const ArrayShape& a, int multipliers, const GridClasses& gc) {
  const ModeSchedule& ms = mode_schedule(p.mode);
  const Grid& g = gc.g;
  auto at = [&](int64_t o, int64_t i) {
    Tile t = ms.tile(p, a, multipliers, o, i);
    t.index = o * g.inner + i;
    return t;
  };
  const bool link = ms.double_buffers() && a.weight_double_buffer;
  std::vector<TileClass> out;
  out.reserve(gc.oc.size() * gc.ic.size());
  for (const IndexClass& oc : gc.oc)
    for (const IndexClass& ic : gc.ic) {
      const int64_t o = oc.rep, i = ic.rep;
      TileClass c{at(o, i), oc.count * ic.count};
      if (link) {  // its neighbours in issue order
        const int64_t k = o * g.inner + i, total = g.outer * g.inner;
        const Tile prev = k > 0 ? at((k - 1) / g.inner, (k - 1) % g.inner) : Tile{};
        const Tile next = k + 1 < total ? at((k + 1) / g.inner, (k + 1) % g.inner) : Tile{};
        mode_detail::link_preload(c.tile, k > 0 ? &prev : nullptr, k + 1 < total ? &next : nullptr);
      }
      out.push_back(c);
    }
  return out;
}

// runs one tile of a class through the TLM array's timing path, adds it
// `count` times, and returns its cycles
int64_t add_run(PassTiming& pt, TlmArray& arr, Memory& mem, const Tile& t, int64_t count) {
  const AccessCounts before = mem.counts();
  const TileRun run = arr.run(t, mem, 0, false);
  const AccessCounts d = mem.counts() - before;
  for (int b = 0; b < int(Buffer::kCount); ++b)
    for (int o = 0; o < int(Operand::kCount); ++o)
      pt.sram.reads[b][o] += d.reads[b][o] * count, pt.sram.writes[b][o] += d.writes[b][o] * count;
  pt.add(t, run.cycles, run.stall_cycles, run.phase_cycles, count);
  return run.cycles;
}

// one more tile of `cycles` in a run-length coded sequence
void append_tile(std::vector<std::pair<int64_t, int64_t>>& seq, int64_t cycles) {
  if (!seq.empty() && seq.back().first == cycles) ++seq.back().second;
  else seq.emplace_back(cycles, 1);
}
}  // namespace

std::vector<TileClass> tile_classes(const Pass& p, const ArrayShape& a, int multipliers) {
  return classes_of(p, a, multipliers, grid_classes(p, a, multipliers));
}

PassTiming pass_timing(const Pass& p, const ArrayShape& a, bool sequence) {
  PassTiming pt;
  TlmArray arr(a, Numerics{}, false);
  Memory mem(a.words_per_psum, false);
  const GridClasses gc = grid_classes(p, a, a.multipliers);
  const auto classes = classes_of(p, a, a.multipliers, gc);
  std::vector<int64_t> cycles;
  for (const TileClass& c : classes) cycles.push_back(add_run(pt, arr, mem, c.tile, c.count));
  if (sequence && !classes.empty()) {  // each tile's cycles in issue order
    const auto of_o = class_of_index(gc.g.outer, gc.oc), of_i = class_of_index(gc.g.inner, gc.ic);
    for (uint32_t ko : of_o)
      for (uint32_t ki : of_i) append_tile(pt.sequence, cycles[ko * gc.ic.size() + ki]);
  }
  return pt;
}

PassTiming pass_timing_per_tile(const Pass& p, const ArrayShape& a) {
  PassTiming pt;
  TlmArray arr(a, Numerics{}, false);
  Memory mem(a.words_per_psum, false);
  for (const Tile& t : tile_pass(p, a)) append_tile(pt.sequence, add_run(pt, arr, mem, t, 1));
  return pt;
}

}  // namespace systrain
