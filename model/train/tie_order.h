// The order in which two engines' threads run where both wake at one cycle,
// as they would with every tile its own wait (sim/tlm/controller.cpp).
//
// A discrete-event kernel like SystemC 2.3 keeps the timed wakeups in a heap
// that, holding two, pops tied ones first in, first out; a thread's wakeup
// goes in when it waits, at the cycle it last woke. So where both threads
// wake at t, the one whose last wakeup before t was earlier runs first; if
// both last woke at the same cycle, they run in the order they ran then,
// and so back to the section's start, where engine 0's thread runs first (it
// starts engine 1's and goes on to its own first wait).
//
// The backend records each engine's waits inside a section, a pass's tiles
// run-length coded, and asks first_at() at a tie. Where it waits a whole pass
// at once, its thread can reach a tie in the other order; it then lets the
// other run first.
#pragma once
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace systrain {

class TieOrder {
 public:
  using Tiles = std::vector<std::pair<int64_t, int64_t>>;  // (cycles, tiles), in issue order
  void start(int64_t cycle);                             // a section begins, both engines at `cycle`
  void wait(int e, int64_t from, int64_t cycles);        // engine e waits `cycles` from `from`
  void wait(int e, int64_t from, const Tiles& tiles);    // engine e's tiles one after another from `from`
  // both engines wake at t (each has a wait ending there): which one's thread
  // runs first. Throws std::logic_error if either has none.
  int first_at(int64_t t) const;

 private:
  struct Run {  // boundaries at from + j·cycles for j = 1..count
    int64_t from, cycles, count;
  };
  void add(int e, int64_t from, int64_t cycles, int64_t count);
  int64_t before(int e, int64_t t, int64_t& run_from) const;  // the wakeup before t; its run's start
  std::array<std::vector<Run>, 2> runs_;
  int64_t start_ = 0;
};

}  // namespace systrain
