// The co-simulation checker on hand-made tile runs.
#include <doctest/doctest.h>

#include "lockstep.h"

using namespace systrain;

namespace {
TileRun run_of(int64_t cycles, std::vector<AccessEvent> ev) {
  TileRun r;
  r.cycles = cycles;
  r.events = std::move(ev);
  return r;
}
}  // namespace

TEST_CASE("identical runs agree") {
  const TileRun a = run_of(10, {{0, Operand::kW, false, 1, 4}, {9, Operand::kY, true, 0, 4}});
  CHECK_FALSE(compare_tile_runs(a, a, 100).has_value());
}

TEST_CASE("the first differing event is reported at its global cycle with both sides") {
  const TileRun a = run_of(10, {{0, Operand::kW, false, 1, 4}, {3, Operand::kX, false, 0, 2},
                                {9, Operand::kY, true, 0, 4}});
  TileRun b = a;
  b.events[1].cycle = 4;
  const auto d = compare_tile_runs(a, b, 100);
  REQUIRE(d.has_value());
  CHECK(d->cycle == 103);
  CHECK(d->what.find("tlm: cycle 3: read x index 0 (2 words)") != std::string::npos);
  CHECK(d->what.find("rtl: cycle 4: read x index 0 (2 words)") != std::string::npos);
  CHECK(d->what.find("both: cycle 0: read w index 1 (4 words)") != std::string::npos);
}

TEST_CASE("a missing event and a cycle-count difference are reported") {
  const TileRun a = run_of(10, {{0, Operand::kW, false, 1, 4}, {9, Operand::kY, true, 0, 4}});
  const TileRun b = run_of(10, {{0, Operand::kW, false, 1, 4}});
  auto d = compare_tile_runs(a, b, 0);
  REQUIRE(d.has_value());
  CHECK(d->cycle == 9);
  CHECK(d->what.find("rtl: no more accesses") != std::string::npos);
  const TileRun c = run_of(11, a.events);
  d = compare_tile_runs(a, c, 50);
  REQUIRE(d.has_value());
  CHECK(d->cycle == 60);
  CHECK(d->what == "tlm finishes the tile in 10 cycles, rtl in 11");
}

TEST_CASE("a cycle in a different controller phase is reported") {
  TileRun a = run_of(4, {});
  a.phases = {1, 2, 2, 4};
  TileRun b = a;
  b.phases[2] = 4;
  const auto d = compare_tile_runs(a, b, 10);
  REQUIRE(d.has_value());
  CHECK(d->cycle == 12);
  CHECK(d->what == "tlm is in the stream phase, rtl in the drain phase");
}

TEST_CASE("different cycles per phase are reported") {
  TileRun a = run_of(10, {});
  a.phase_cycles = {0, 2, 4, 0, 4};
  TileRun b = a;
  b.phase_cycles = {0, 2, 3, 0, 5};
  const auto d = compare_tile_runs(a, b, 7);
  REQUIRE(d.has_value());
  CHECK(d->cycle == 7);
  CHECK(d->what == "the tile's cycles per phase differ: tlm 0/2/4/0/4/0/0, rtl 0/2/3/0/5/0/0");
}
