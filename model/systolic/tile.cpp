#include "tile.h"

#include "mode.h"

#include <fmt/format.h>

#include <algorithm>

namespace systrain {

const char* to_string(Operand op) {
  switch (op) {
    case Operand::kX: return "x";
    case Operand::kW: return "w";
    case Operand::kY: return "y";
    case Operand::kPsum: return "psum";
    case Operand::kDy: return "dy";
    case Operand::kDx: return "dx";
    case Operand::kDw: return "dw";
    case Operand::kTable: return "table";
    case Operand::kMask: return "mask";
    case Operand::kCount: break;
  }
  return "?";
}

const char* to_string(Mode m) {
  switch (m) {
    case Mode::kWs: return "ws";
    case Mode::kOs: return "os";
    case Mode::kAg: return "ag";
    case Mode::kIl: return "il";
    case Mode::kIs: return "is";
  }
  return "?";
}

const char* to_string(Phase p) {
  switch (p) {
    case Phase::kIdle: return "idle";
    case Phase::kLoad: return "load";
    case Phase::kStream: return "stream";
    case Phase::kFlush: return "flush";
    case Phase::kDrain: return "drain";
    case Phase::kUpdate: return "update";
    case Phase::kWriteback: return "writeback";
    case Phase::kCount: break;
  }
  return "?";
}

ArrayShape array_shape(const Config& cfg) {
  ArrayShape a{cfg.accelerator.array.rows, cfg.accelerator.array.cols, cfg.words_per_psum()};
  a.banks = cfg.accelerator.sram.banks;
  a.words_per_cycle = cfg.accelerator.sram.words_per_cycle;
  a.weight_double_buffer = cfg.accelerator.array.weight_double_buffer;
  a.multipliers = cfg.accelerator.array.pe_multipliers;
  return a;
}

std::array<int64_t, int(Phase::kCount)> tile_phases(const Tile& t, const ArrayShape& a) {
  return mode_schedule(t.mode).phases(t, a);
}

Phase phase_at(const Tile& t, const ArrayShape& a, int64_t rel) {
  const auto p = tile_phases(t, a);
  for (int i = int(Phase::kLoad); i < int(Phase::kCount); ++i) {
    if (rel < p[i]) return Phase(i);
    rel -= p[i];
  }
  return Phase::kIdle;
}

TileCost tile_cost(const Tile& t, const ArrayShape& a) {
  TileCost c;
  for (int64_t v : tile_phases(t, a)) c.cycles += v;
  mode_schedule(t.mode).accesses(t, a, c.acc);
  return c;
}

std::vector<AccessEvent> tile_events(const Tile& t, const ArrayShape& a) {
  std::vector<AccessEvent> ev;
  mode_schedule(t.mode).events(t, a, ev);
  return ev;
}

std::string describe(const Tile& t) {
  return fmt::format("{} tile {} (m0={} k0={} n0={} rows_used={} cols_used={} len={}{}{}{}{}{}{})", to_string(t.mode),
                     t.index, t.m0, t.k0, t.n0, t.ru, t.cu, t.len, t.first ? " first" : "", t.last ? " last" : "",
                     t.mode == Mode::kIl && t.ag ? fmt::format(" dx_lanes={}", t.xu) : "", t.slow ? " s=2" : "",
                     t.preloaded ? " preloaded" : "",
                     t.pf_rows > 0 ? fmt::format(" preloads={}x{}", t.pf_rows, t.pf_cols) : "");
}

std::string describe(const AccessEvent& e) {
  return fmt::format("cycle {}: {} {} index {} ({} words)", e.cycle, e.write ? "write" : "read", to_string(e.op),
                     e.index, e.words);
}

}  // namespace systrain
