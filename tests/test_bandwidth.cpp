// SRAM bandwidth and bank stalls (model/systolic/bandwidth.h): the cost of one cycle's
// accesses against hand-worked cases, the streams against the enumerated
// schedule, and the periodic closed form against a cycle-by-cycle count.
#include <doctest/doctest.h>

#include <algorithm>
#include <tuple>

#include "bandwidth.h"
#include "pass_util.h"
#include "vector_unit.h"

using namespace systrain;
using namespace systrain::test;

TEST_CASE("one cycle's cost: words over the buffer's bandwidth, words over a bank's width") {
  ArrayShape a{4, 4, 2};
  a.banks = 4, a.words_per_cycle = 4;  // banks one word wide
  const Mat row{Operand::kX, Buffer::kActivations, 0, 8, 1};    // consecutive words
  const Mat col{Operand::kX, Buffer::kActivations, 0, 1, 8};    // a stride of 8: one bank
  const Mat psum{Operand::kPsum, Buffer::kGradients, 0, 4, 1};  // two words an element
  const Mat wts{Operand::kW, Buffer::kWeights, 0, 4, 1};
  CHECK(access_cost({{row, 0, 4}}, a) == 1);            // 4 words, one in each bank
  CHECK(access_cost({{row, 0, 4}, {row, 1, 4}}, a) == 2);  // 8 words in one buffer
  CHECK(access_cost({{row, 0, 4}, {wts, 0, 4}}, a) == 1);  // two buffers: 4 words each
  CHECK(access_cost({{col, 0, 4}}, a) == 4);            // all four words in bank 0
  CHECK(access_cost({{col, 0, 3}}, a) == 3);
  CHECK(access_cost({{psum, 0, 2}}, a) == 1);           // 4 words in 4 banks
  CHECK(access_cost({{psum, 0, 4}}, a) == 2);           // 8 words
  CHECK(access_cost({{row, 0, 2}, {row, 2, 2}}, a) == 2);  // rows 0 and 2 start 16 words apart: banks 0, 1 twice
  a.words_per_cycle = 8;                                 // banks two words wide
  CHECK(access_cost({{row, 0, 4}, {row, 1, 4}}, a) == 1);
  CHECK(access_cost({{col, 0, 4}}, a) == 2);
  a.banks = 0;                                           // no limits
  CHECK(access_cost({{col, 0, 4}}, a) == 1);
}

TEST_CASE("one cycle's cost equals a word-by-word bank count, on random accesses") {
  // the count written out: every word of every lane into its bank, per buffer
  auto counted = [](const std::vector<RowAccess>& acc, const ArrayShape& a) {
    const int64_t width = std::max(1, a.words_per_cycle / a.banks);
    int64_t cost = 1;
    for (int b = 0; b < int(Buffer::kCount); ++b) {
      std::vector<int64_t> bank(static_cast<size_t>(a.banks), 0);
      int64_t words = 0;
      for (const auto& r : acc) {
        if (int(r.view.buf) != b) continue;
        const int64_t wpe = a.words_per_element(r.view.op);
        for (int64_t j = 0; j < r.lanes; ++j)
          for (int64_t w = 0; w < wpe; ++w, ++words) {
            const int64_t addr = r.view.at(r.row, j) * wpe + w;
            bank[static_cast<size_t>((addr % a.banks + a.banks) % a.banks)]++;
          }
      }
      const int64_t busiest = *std::max_element(bank.begin(), bank.end());
      cost = std::max({cost, (words + a.words_per_cycle - 1) / a.words_per_cycle, (busiest + width - 1) / width});
    }
    return cost;
  };
  uint64_t s = 12345;
  auto next = [&](int64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>((s >> 33) % static_cast<uint64_t>(n));
  };
  const Buffer bufs[] = {Buffer::kActivations, Buffer::kWeights, Buffer::kGradients};
  const Operand ops[] = {Operand::kX, Operand::kW, Operand::kPsum};
  int64_t stalled = 0;
  for (int i = 0; i < 20000; ++i) {
    ArrayShape a{16, 16, 2};
    a.banks = 1 + int(next(32));
    a.words_per_cycle = 1 + int(next(80));
    std::vector<RowAccess> acc;
    for (int k = 0, n = 1 + int(next(4)); k < n; ++k) {
      // one access per buffer, one word an element (the closed form) and the rest (the count)
      const Buffer b = i % 2 ? bufs[k % 3] : bufs[next(3)];
      const Operand op = i % 2 ? Operand::kX : ops[next(3)];
      acc.push_back({Mat{op, b, next(5000), next(300) - 100, next(70) - 20}, next(40), next(33)});
    }
    CAPTURE(i);
    const int64_t want = counted(acc, a);
    CHECK(access_cost(acc, a) == want);
    stalled += want > 1;
  }
  CHECK(stalled > 1000);  // the cases do stall
}

namespace {
std::vector<std::tuple<int64_t, int, bool, int64_t, int64_t>> keyed(const std::vector<AccessEvent>& ev) {
  std::vector<std::tuple<int64_t, int, bool, int64_t, int64_t>> k;
  for (const auto& e : ev) k.emplace_back(e.cycle, int(e.port), e.write, e.index, e.words);
  std::sort(k.begin(), k.end());
  return k;
}
}  // namespace

TEST_CASE("a tile's streams are its schedule; the periodic stall count equals the cycle-by-cycle one") {
  int64_t stalled_tiles = 0;
  for (auto [r, c] : {std::pair{1, 1}, {3, 5}, {4, 4}, {7, 4}})
    for (int mult : {1, 2})
      for (Kind kind : kAllKinds)
        for (auto [banks, wpc] : {std::pair{4, 4}, {4, 8}, {3, 5}, {8, 8}, {16, 64}}) {
          ArrayShape a{r, c, 2};
          a.banks = banks, a.words_per_cycle = wpc;
          a.weight_double_buffer = banks != 8;  // with and without preloads
          LayerCase lc{37, 13, 11, true};  // long enough for several periods of 2·banks cycles
          for (const Tile& t : tile_pass(make_pass(kind, lc, false, 8, 8, 16, 1), a, mult)) {
            CAPTURE(describe(t));
            CAPTURE(banks);
            CAPTURE(wpc);
            std::vector<AccessEvent> ev;
            for (const auto& s : tile_streams(t, a))
              for (int64_t i = 0; i < s.count; ++i)
                ev.push_back({s.first + s.step * i, s.view.op, s.write, s.row0 + s.dir * i,
                              s.lanes * a.words_per_element(s.view.op), s.port});
            CHECK(keyed(ev) == keyed(tile_events(t, a)));
            // cycle by cycle from the enumerated events
            const auto all = tile_events(t, a);
            const auto phases = tile_phases(t, a);
            int64_t n = 0;
            for (auto v : phases) n += v;
            std::vector<std::vector<RowAccess>> by_cycle(static_cast<size_t>(n));
            const auto streams = tile_streams(t, a);
            for (const auto& s : streams)
              for (int64_t i = 0; i < s.count; ++i) by_cycle[s.first + s.step * i].push_back({s.view, s.row0 + s.dir * i, s.lanes});
            int64_t total = 0;
            std::array<int64_t, int(Phase::kCount)> by_phase{};
            for (int64_t cyc = 0; cyc < n; ++cyc) {
              const int64_t st = access_cost(by_cycle[cyc], a) - 1;
              total += st;
              by_phase[int(phase_at(t, a, cyc))] += st;
            }
            const TileStalls fast = tile_stalls(t, a), slow = tile_stalls(t, a, true);
            CHECK(fast.total == total);
            CHECK(slow.total == total);
            CHECK(fast.by_phase == by_phase);
            CHECK(slow.by_phase == by_phase);
            stalled_tiles += total > 0;
          }
        }
  CHECK(stalled_tiles > 100);  // the cases do stall
}

TEST_CASE("the vector unit gets at most words_per_cycle words a cycle from each buffer") {
  Config cfg;
  cfg.accelerator.array.cols = 16;  // 16 lanes
  cfg.accelerator.vector.latency_cycles = 4;
  cfg.accelerator.sram.words_per_cycle = 32;
  AccessCounts moved;
  CHECK(vector_cycles(cfg, 100, moved) == 7 + 4);  // ceil(100 / 16)
  moved.reads[int(Buffer::kActivations)][int(Operand::kX)] = 200;
  moved.writes[int(Buffer::kActivations)][int(Operand::kX)] = 100;
  CHECK(vector_cycles(cfg, 100, moved) == 10 + 4);  // 300 words of one buffer: ceil(300 / 32)
  moved.writes[int(Buffer::kActivations)][int(Operand::kX)] = 0;
  moved.writes[int(Buffer::kGradients)][int(Operand::kDy)] = 100;
  CHECK(vector_cycles(cfg, 100, moved) == 7 + 4);  // 200 and 100 words in two buffers: ceil(200 / 32) = 7
  CHECK(vector_cycles(cfg, 100) == 7 + 4);
}
