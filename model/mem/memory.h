// The on-chip SRAM buffers as storage plus access counters. Words are counted
// at the array boundary in units of data_bits: a data value is one word, an
// acc_bits partial sum is ceil(acc_bits / data_bits) words.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "operand.h"

namespace systrain {

// How an array reaches memory: the SystemC SRAM socket in the simulator, a
// Memory directly in unit tests. `data` may be null for timing-only runs.
class MemoryPort {
 public:
  virtual ~MemoryPort() = default;
  virtual void read(const Access2D& a, Operand op, int64_t* data) = 0;
  virtual void write(const Access2D& a, Operand op, const int64_t* data) = 0;
};

struct AccessCounts {
  // [buffer][operand]
  std::array<std::array<int64_t, int(Operand::kCount)>, int(Buffer::kCount)> reads{}, writes{};
  int64_t total_reads() const;
  int64_t total_writes() const;
  int64_t operand_reads(Operand op) const;
  int64_t operand_writes(Operand op) const;
  int64_t buffer_reads(Buffer b) const;
  int64_t buffer_writes(Buffer b) const;
  AccessCounts& operator+=(const AccessCounts& o);
  // what happened between two snapshots of a memory's counters
  friend AccessCounts operator-(const AccessCounts& after, const AccessCounts& before);
};

class Memory final : public MemoryPort {
 public:
  // a copy owns a copy of the values (even of shared ones)
  Memory(const Memory& o)
      : words_per_psum_(o.words_per_psum_), functional_(o.functional_), own_(*o.data_), counts_(o.counts_) {}
  Memory& operator=(const Memory& o) {
    if (this != &o) {
      words_per_psum_ = o.words_per_psum_, functional_ = o.functional_, own_ = *o.data_, counts_ = o.counts_;
      data_ = &own_;
    }
    return *this;
  }
  // a timing-only memory holds no values: reads give zeros, writes vanish
  explicit Memory(int words_per_psum, bool functional = true)
      : words_per_psum_(words_per_psum), functional_(functional) {}
  std::vector<int64_t>& buffer(Buffer b) { return (*data_)[int(b)]; }
  const std::vector<int64_t>& buffer(Buffer b) const { return (*data_)[int(b)]; }
  // this memory's accesses are counted apart, its values are `other`'s (the
  // speculative schedule's second engine: its own counters, one store)
  void share_storage(Memory& other) { data_ = other.data_; }
  void read(const Access2D& a, Operand op, int64_t* data) override;
  void write(const Access2D& a, Operand op, const int64_t* data) override;
  // a read of `from` and a write of `to` (the same shape) with its words,
  // counted as those two, the words moved within the storage (no copy out
  // and back); `values`: whether words move (a timing-only run's do not)
  void copy(const Access2D& from, const Access2D& to, Operand op, bool values);
  const AccessCounts& counts() const { return counts_; }
  // accesses of words kept outside the modelled storage (the speculative
  // schedule's per-label tables): counted, not stored here
  void count(Buffer b, Operand op, int64_t reads, int64_t writes) {
    counts_.reads[int(b)][int(op)] += reads;
    counts_.writes[int(b)][int(op)] += writes;
  }
  void count(const AccessCounts& c) { counts_ += c; }
  // throws std::out_of_range unless every word of `a` is in its buffer (what
  // read and write check before they touch values; for code that works on
  // the buffers in place)
  void check(const Access2D& a, Operand op) const;
  int words_per_element(Operand op) const { return op == Operand::kPsum ? words_per_psum_ : 1; }

 private:
  int words_per_psum_;
  bool functional_;
  std::array<std::vector<int64_t>, int(Buffer::kCount)> own_;
  std::array<std::vector<int64_t>, int(Buffer::kCount)>* data_ = &own_;
  AccessCounts counts_;
};

}  // namespace systrain
