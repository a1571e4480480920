// Co-simulation as a decorator: an ArrayModel that runs a reference array
// (the TLM model) on the real memory and a checked array (the RTL) on a
// replay of the words the reference read, and compares the two tile by tile:
// every access event (cycle, operand, index, words, port), the phase of every
// cycle, the cycles per phase, the cycle count and every word written. The
// first difference throws CosimMismatch. The run and the tests use it alike.
//
// Why a replay instead of a second memory: within a tile no word is read
// after the tile wrote it (a partial-sum row is read before it is written
// again, a W block is loaded before it is written back), so the words the
// reference read are exactly what the checked array must read; the checked
// array's accesses are compared as events, its values as writes.
#pragma once
#include <stdexcept>
#include <string>

#include "array_model.h"

namespace systrain {

class CosimMismatch : public std::runtime_error {
 public:
  CosimMismatch(int64_t cycle, const std::string& what) : std::runtime_error(what), cycle_(cycle) {}
  int64_t cycle() const { return cycle_; }  // global cycle of the first difference

 private:
  int64_t cycle_;
};

struct CosimStats {
  int64_t reference_cycles = 0, checked_cycles = 0, events_compared = 0, words_compared = 0;
};

class CosimArray final : public ArrayModel {
 public:
  // `functional`: compare values too (a timing-only run has none)
  CosimArray(ArrayModel& reference, ArrayModel& checked, bool functional)
      : ref_(reference), chk_(checked), functional_(functional) {}
  TileRun run_tile(const Tile& t, MemoryPort& mem, int64_t start_cycle, bool record_events) override;
  void idle(int64_t from, int64_t to) override { ref_.idle(from, to), chk_.idle(from, to); }
  const char* name() const override { return "cosim"; }
  const CosimStats& stats() const { return stats_; }

 private:
  ArrayModel& ref_;
  ArrayModel& chk_;
  bool functional_;
  CosimStats stats_;
};

// A test hook (sim/tlm/run.cpp arms it from SYSTRAIN_INJECT_FAULT=KIND:N): corrupts
// what the wrapped array did on its N-th tile, so the tests can show that
// co-simulation catches each kind of difference. KIND: value (the first word
// written is off by one bit), cycles (one cycle more), event (an access
// index off by one).
class FaultyArray final : public ArrayModel {
 public:
  FaultyArray(ArrayModel& inner, std::string kind, int64_t tile) : inner_(inner), kind_(std::move(kind)), tile_(tile) {}
  TileRun run_tile(const Tile& t, MemoryPort& mem, int64_t start_cycle, bool record_events) override;
  void idle(int64_t from, int64_t to) override { inner_.idle(from, to); }
  const char* name() const override { return inner_.name(); }

 private:
  ArrayModel& inner_;
  std::string kind_;
  int64_t tile_, count_ = 0;
};

}  // namespace systrain
