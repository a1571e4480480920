// TieOrder (model/train/tie_order.h) against a literal discrete-event run of
// the same waits, tile by tile: each tile its own wait, the wakeups in a
// queue popped by cycle and, at equal cycles, first in first out, engine 0
// inserting first at the section's start. Wherever both engines wake at one
// cycle, the model's order is the run's.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "tie_order.h"

using namespace systrain;

namespace {

struct Wait {
  TieOrder::Tiles tiles;  // run-length coded; a plain wait is one tile
  bool pass = false;      // recorded as a pass's tiles (one wait in the backend)
};

// every wakeup of both engines tile by tile, in the order the kernel runs
// them: (cycle, engine)
std::vector<std::pair<int64_t, int>> literal_run(int64_t start, const std::vector<Wait> (&waits)[2]) {
  std::vector<int64_t> ends[2];
  for (int e = 0; e < 2; ++e) {
    int64_t t = start;
    for (const Wait& w : waits[e])
      for (const auto& [c, n] : w.tiles)
        for (int64_t k = 0; k < n; ++k) ends[e].push_back(t += c);
  }
  struct Entry {
    int64_t t, seq;
    int e;
  };
  std::vector<Entry> queue;
  int64_t seq = 0;
  size_t next[2] = {0, 0};
  auto insert = [&](int e) {
    if (next[e] < ends[e].size()) queue.push_back({ends[e][next[e]++], seq++, e});
  };
  insert(0), insert(1);  // engine 0's thread waits first
  std::vector<std::pair<int64_t, int>> order;
  while (!queue.empty()) {
    const auto it = std::min_element(queue.begin(), queue.end(), [](const Entry& a, const Entry& b) {
      return a.t != b.t ? a.t < b.t : a.seq < b.seq;
    });
    const Entry top = *it;
    queue.erase(it);
    order.emplace_back(top.t, top.e);
    insert(top.e);
  }
  return order;
}

}  // namespace

TEST_CASE("the order of two engines at a tie is that of a literal tile-by-tile run") {
  std::mt19937_64 rng(7);
  int ties = 0, engine1_first = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const int64_t start = static_cast<int64_t>(rng() % 50);
    const int maxc = 1 + static_cast<int>(rng() % 5);  // short tiles: many ties
    std::vector<Wait> waits[2];
    for (auto& ws : waits) {
      const int count = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < count; ++i) {
        Wait w;
        w.pass = rng() % 2;
        const int runs = w.pass ? 1 + static_cast<int>(rng() % 4) : 1;
        for (int r = 0; r < runs; ++r) {
          const int64_t c = 1 + static_cast<int64_t>(rng() % maxc);
          const int64_t n = w.pass ? 1 + static_cast<int64_t>(rng() % 6) : 1;
          if (!w.tiles.empty() && w.tiles.back().first == c) w.tiles.back().second += n;
          else w.tiles.emplace_back(c, n);
        }
        ws.push_back(w);
      }
    }
    TieOrder model;
    model.start(start);
    for (int e = 0; e < 2; ++e) {
      int64_t t = start;
      for (const Wait& w : waits[e]) {
        int64_t cycles = 0;
        for (const auto& [c, n] : w.tiles) cycles += c * n;
        if (w.pass) {
          model.wait(e, t, w.tiles);
        } else {
          // a plain wait of several tiles' cycles is one wakeup: the literal
          // run must see it as one tile too
          model.wait(e, t, cycles);
        }
        t += cycles;
      }
    }
    std::vector<Wait> literal[2];
    for (int e = 0; e < 2; ++e)
      for (const Wait& w : waits[e]) {
        if (w.pass) {
          literal[e].push_back(w);
          continue;
        }
        int64_t cycles = 0;
        for (const auto& [c, n] : w.tiles) cycles += c * n;
        literal[e].push_back({{{cycles, 1}}, false});
      }
    const auto order = literal_run(start, literal);
    std::map<int64_t, std::vector<int>> at;
    for (const auto& [t, e] : order) at[t].push_back(e);
    for (const auto& [t, engines] : at) {
      if (engines.size() < 2) continue;
      REQUIRE(engines.size() == 2);
      CHECK(model.first_at(t) == engines[0]);
      ++ties;
      engine1_first += engines[0] == 1;
    }
  }
  // both outcomes, many times over
  CHECK(ties > 3000);
  CHECK(engine1_first > 500);
  CHECK(ties - engine1_first > 500);
}

TEST_CASE("the order at a tie: closed cases and bad queries") {
  TieOrder m;
  m.start(10);
  // engine 0: one wait 10 → 20; engine 1: tiles of 2 from 10 to 20. Tile by
  // tile engine 1's last wakeup before 20 is at 18, engine 0's at 10: engine 0 first
  m.wait(0, 10, 10);
  m.wait(1, 10, TieOrder::Tiles{{2, 5}});
  CHECK(m.first_at(20) == 0);
  // then engine 0: a pass of tiles 5, 5 (to 30); engine 1: one wait 20 → 30.
  // Engine 0 last woke at 25, engine 1 at 20: engine 1 first
  m.wait(0, 20, TieOrder::Tiles{{5, 2}});
  m.wait(1, 20, 10);
  CHECK(m.first_at(30) == 1);
  // both from 30 in steps of 3 to 45: every wakeup tied back to 30, where
  // engine 1 ran first
  m.wait(0, 30, TieOrder::Tiles{{3, 5}});
  m.wait(1, 30, TieOrder::Tiles{{3, 5}});
  CHECK(m.first_at(45) == 1);
  CHECK(m.first_at(33) == 1);
  CHECK_THROWS_AS(m.first_at(44), std::logic_error);  // no wakeup there
  CHECK_THROWS_AS(m.wait(0, 45, 0), std::logic_error);
  m.start(0);  // a new section forgets the last
  CHECK_THROWS_AS(m.first_at(20), std::logic_error);
}
