// Each mode of the array as an implementation of one interface: how a pass is
// cut into tiles (and in what order), the phases of a tile, the words it moves
// per operand (the closed form), and its access events in cycle order. One
// file each: mode_ws.cpp (forward WS), mode_os.cpp (forward OS and WG),
// mode_ag.cpp (AG, and the interleaved mode, which extends it). tile.h's
// free functions and tile_pass() dispatch here.
#pragma once
#include <array>
#include <vector>

#include "pass.h"
#include "tile.h"

namespace systrain {

// A pass's tiles form a grid: `outer` blocks, each cut into `inner` blocks,
// issued outer by outer (tile index o·inner + i). A tile depends on its
// indices only through: being first or last (or next to last) in each
// dimension, being at or before a `special` outer block (a threshold of the
// mode, such as the last block with dX rows), and its operands' base
// addresses, which are linear in o and in i (pass_timing in pass.h relies on
// this to compute each class of tiles once).
struct Grid {
  int64_t outer = 0, inner = 0;
  std::vector<int64_t> special_outer;
};

class ModeSchedule {
 public:
  virtual ~ModeSchedule() = default;
  virtual Grid grid(const Pass& p, const ArrayShape& a) const = 0;
  // tile (o, i) of the grid, without its index and the double-buffering links
  virtual Tile tile(const Pass& p, const ArrayShape& a, int multipliers, int64_t o, int64_t i) const = 0;
  // WS and IS: with array.weight_double_buffer each tile preloads the next one's block (link_preload)
  virtual bool double_buffers() const { return false; }
  // every tile in issue order
  std::vector<Tile> tiles(const Pass& p, const ArrayShape& a, int multipliers) const;
  virtual std::array<int64_t, int(Phase::kCount)> phases(const Tile& t, const ArrayShape& a) const = 0;
  virtual void accesses(const Tile& t, const ArrayShape& a, TileAccesses& acc) const = 0;
  virtual void events(const Tile& t, const ArrayShape& a, std::vector<AccessEvent>& ev) const = 0;
};

const ModeSchedule& mode_schedule(Mode m);

namespace mode_detail {

// blocks of `size` covering `extent`
inline int64_t blocks(int64_t extent, int64_t size) { return (extent + size - 1) / size; }

// Double-buffered weights: a tile preloads the next one's block behind its
// stream (its top port is free) when the stream is long enough, and that
// tile skips LOAD. prev/next: the tiles before and after t in issue order
// (null: none).
void link_preload(Tile& t, const Tile* prev, const Tile* next);

// a tile's fields common to every mode
Tile base_tile(const Pass& p, int64_t index, int64_t m0, int64_t k0, int64_t n0);

// words of `elements` values of m's operand
inline int64_t words(const ArrayShape& a, const Mat& m, int64_t elements) {
  return elements * a.words_per_element(m.op);
}

// The weight load and the stream of a stationary-weight tile (WS, AG, IL):
// LOAD reads weight row ru-1-j in cycle j; stream row j is read in stream
// cycle s·j (top, left, psum, as the mode uses them); its results leave in
// stream cycle s·(j + VD) − (s − 1).
void stationary_events(const Tile& t, const ArrayShape& a, bool top, bool left, int64_t lanes,
                       std::vector<AccessEvent>& ev);

}  // namespace mode_detail
}  // namespace systrain
