// Co-simulation and fault injection as decorators of a Unit of any kind
// (model/unit.h). CosimUnit runs a reference unit (the TLM model) on the real
// memory and a checked unit (the RTL) on a replay of the words the reference
// read, and compares the two work by work: the kind's own record of what
// happened (compare_runs(): for the systolic array every access event, the
// phase of every cycle, the cycles per phase and the cycle count), then every
// word written. The first difference throws CosimMismatch. The run and the
// tests use it alike.
//
// Why a replay instead of a second memory: within one unit of work no word is
// read after the work wrote it (a partial-sum row is read before it is written
// again, a W block is loaded before it is written back), so the words the
// reference read are exactly what the checked unit must read; the checked
// unit's accesses are compared as events, its values as writes.
//
// What a kind provides for its Run: `cycles`, `events` (records with an
// `index`), and the overloads compare_runs(ref, chk, start_cycle) (the first
// divergence, or none) and forget_record(run) (drop what was recorded for
// the comparison when the caller did not ask for it).
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "unit.h"

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

// The words of one unit of work, the same for every kind: reference_port()
// passes to the real memory and records every word read and written;
// checked_port() serves the recorded reads and records the checked unit's
// writes; check() compares the writes (and a read the reference never made).
class WordReplay {
 public:
  WordReplay(MemoryPort& real, bool functional);
  ~WordReplay();
  // a new unit of work on `real`: nothing recorded (the maps' and lists' room kept, not allocated again)
  void reset(MemoryPort& real);
  MemoryPort& reference_port();
  MemoryPort& checked_port();  // use after the reference has run
  // throws CosimMismatch at end_cycle on the first difference
  void check(int64_t end_cycle, CosimStats& stats) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// a port that flips the lowest bit of the first word written through it
std::unique_ptr<MemoryPort> flip_first_write(MemoryPort& inner);

template <class Work, class Run>
class CosimUnit final : public Unit<Work, Run> {
 public:
  // `functional`: compare values too (a timing-only run has none)
  CosimUnit(Unit<Work, Run>& reference, Unit<Work, Run>& checked, bool functional)
      : ref_(reference), chk_(checked), functional_(functional) {}
  Run run(const Work& work, MemoryPort& mem, int64_t start_cycle, bool record) override {
    // one replay for every unit of work, reset (a tile's new maps and lists cost more than its checks)
    if (!words_) words_ = std::make_unique<WordReplay>(mem, functional_);
    else words_->reset(mem);
    WordReplay& words = *words_;
    Run a = ref_.run(work, words.reference_port(), start_cycle, true);
    Run b = chk_.run(work, words.checked_port(), start_cycle, true);
    stats_.reference_cycles += a.cycles;
    stats_.checked_cycles += b.cycles;
    if (auto d = compare_runs(a, b, start_cycle)) throw CosimMismatch(d->cycle, d->what);
    stats_.events_compared += static_cast<int64_t>(a.events.size());
    words.check(start_cycle + a.cycles - 1, stats_);
    if (!record) forget_record(a);
    return a;
  }
  void idle(int64_t from, int64_t to) override { ref_.idle(from, to), chk_.idle(from, to); }
  const char* name() const override { return "cosim"; }
  const CosimStats& stats() const { return stats_; }

 private:
  Unit<Work, Run>& ref_;
  Unit<Work, Run>& chk_;
  bool functional_;
  CosimStats stats_;
  std::unique_ptr<WordReplay> words_;
};

// A test hook (sim/tlm/run.cpp arms it from SYSTRAIN_INJECT_FAULT=KIND:N):
// corrupts what the wrapped unit did on its N-th unit of work, so the tests
// can show that co-simulation catches each kind of difference. KIND: value
// (the first word written is off by one bit), cycles (one cycle more), event
// (an access index off by one).
template <class Work, class Run>
class FaultyUnit final : public Unit<Work, Run> {
 public:
  FaultyUnit(Unit<Work, Run>& inner, std::string kind, int64_t at) : inner_(inner), kind_(std::move(kind)), at_(at) {}
  Run run(const Work& work, MemoryPort& mem, int64_t start_cycle, bool record) override {
    const bool now = count_++ == at_;
    if (now && kind_ == "value") {
      const auto flip = flip_first_write(mem);
      return inner_.run(work, *flip, start_cycle, record);
    }
    Run r = inner_.run(work, mem, start_cycle, record);
    if (now && kind_ == "cycles") r.cycles += 1;
    if (now && kind_ == "event" && !r.events.empty()) r.events[r.events.size() / 2].index += 1;
    return r;
  }
  void idle(int64_t from, int64_t to) override { inner_.idle(from, to); }
  const char* name() const override { return inner_.name(); }

 private:
  Unit<Work, Run>& inner_;
  std::string kind_;
  int64_t at_, count_ = 0;
};

}  // namespace systrain
