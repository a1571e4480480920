// Co-simulation's word check (model/cosim/cosim_unit.h, WordReplay): what the
// reference unit wrote against what the checked unit wrote, by the memory the
// two leave behind. Rows written in another order, or a block against its rows
// one at a time, pass; a word that differs, one written by only one side, or
// rows that overwrite each other are found and named. Expected counts are
// closed forms of the shapes written.
#include <doctest/doctest.h>

#include <numeric>
#include <string>
#include <vector>

#include "cosim_unit.h"
#include "memory.h"

using namespace systrain;

namespace {

struct Fixture {
  Memory mem{2};
  WordReplay words{mem, true};
  CosimStats stats;
  Fixture() { mem.buffer(Buffer::kWeights).assign(4096, 0); }
  // the reference writes `a` with `v`, then the checked unit does `checked` and the words are checked
  template <class F>
  std::string run(const std::vector<std::pair<Access2D, std::vector<int64_t>>>& ref, F checked) {
    words.reset(mem);
    for (const auto& [a, v] : ref) words.reference_port().write(a, Operand::kW, v.data());
    checked(words.checked_port());
    try {
      words.check(100, stats);
    } catch (const CosimMismatch& e) {
      CHECK(e.cycle() == 100);
      return e.what();
    }
    return "";
  }
};

std::vector<int64_t> iota(int64_t n, int64_t from) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), from);
  return v;
}
Access2D rows(int64_t addr, int64_t r, int64_t c, int64_t rs, int64_t cs = 1) {
  return {Buffer::kWeights, addr, r, c, rs, cs};
}

}  // namespace

TEST_CASE("co-simulation's word check compares the memory two units leave") {
  Fixture f;
  const auto block = rows(64, 4, 8, 16);  // 4 rows of 8 words, 16 apart
  const std::vector<int64_t> v = iota(32, 1000);
  // the checked unit writes the block's rows one at a time, last row first: the same memory
  const auto reversed = [&](int64_t bad_word, int64_t extra_row) {
    return [&, bad_word, extra_row](MemoryPort& p) {
      for (int64_t i = 3; i >= 0; --i) {
        std::vector<int64_t> r(v.begin() + i * 8, v.begin() + (i + 1) * 8);
        if (bad_word >= 0 && bad_word / 8 == i) r[static_cast<size_t>(bad_word % 8)] += 1;
        p.write(rows(64 + i * 16, 1, 8, 0), Operand::kW, r.data());
      }
      if (extra_row >= 0) p.write(rows(extra_row, 1, 8, 0), Operand::kW, v.data());
    };
  };
  CHECK(f.run({{block, v}}, reversed(-1, -1)) == "");
  CHECK(f.stats.words_compared == 32);
  // one word off: named, whichever path finds it
  CHECK(f.run({{block, v}}, reversed(19, -1)) ==
        "w word 99 of the weights buffer: tlm wrote 1019, rtl wrote 1020");
  // a row more: counted
  CHECK(f.run({{block, v}}, reversed(-1, 512)) == "rtl wrote 40 words, tlm 32");
  // a row less
  CHECK(f.run({{block, v}, {rows(512, 1, 8, 0), v}}, reversed(-1, -1)) ==
        "tlm wrote w to word 512 of the weights buffer (1000), rtl did not write it");

  // rows that meet: the last value written at each word is what counts
  const std::vector<int64_t> a = iota(8, 0), b = iota(8, 50);
  const auto once = [&](const std::vector<int64_t>& x) {
    return [&x](MemoryPort& p) { p.write(rows(0, 1, 8, 0), Operand::kW, x.data()); };
  };
  f.stats = {};
  CHECK(f.run({{rows(0, 1, 8, 0), a}, {rows(4, 1, 8, 0), b}}, [&](MemoryPort& p) {
          p.write(rows(4, 1, 8, 0), Operand::kW, b.data());
          p.write(rows(0, 1, 4, 0), Operand::kW, a.data());
        }) == "");
  CHECK(f.stats.words_compared == 12);  // words 0..11
  CHECK(f.run({{rows(0, 1, 8, 0), a}, {rows(0, 1, 8, 0), b}}, once(b)) == "");
  CHECK(f.stats.words_compared == 12 + 8);
  CHECK(f.run({{rows(0, 1, 8, 0), a}, {rows(0, 1, 8, 0), b}}, once(a)) ==
        "w word 0 of the weights buffer: tlm wrote 50, rtl wrote 0");
  // the same two writes of one row: each word counted once; in the other order: the other memory
  const auto twice = [&](const std::vector<int64_t>& x, const std::vector<int64_t>& y) {
    return [&x, &y](MemoryPort& p) {
      p.write(rows(0, 1, 8, 0), Operand::kW, x.data());
      p.write(rows(0, 1, 8, 0), Operand::kW, y.data());
    };
  };
  CHECK(f.run({{rows(0, 1, 8, 0), a}, {rows(0, 1, 8, 0), b}}, twice(a, b)) == "");
  CHECK(f.stats.words_compared == 12 + 8 + 8);
  CHECK(f.run({{rows(0, 1, 8, 0), a}, {rows(0, 1, 8, 0), b}}, twice(b, a)) ==
        "w word 0 of the weights buffer: tlm wrote 50, rtl wrote 0");

  // interleaved rows (a transposed block: column stride 4) against the same words row by row
  f.stats = {};
  const std::vector<int64_t> t = iota(16, 7);
  CHECK(f.run({{rows(1024, 4, 4, 1, 4), t}}, [&](MemoryPort& p) {
          for (int64_t j = 0; j < 4; ++j) {  // word (i, j) at 1024 + i + 4j
            std::vector<int64_t> col;
            for (int64_t i = 0; i < 4; ++i) col.push_back(t[static_cast<size_t>(i * 4 + j)]);
            p.write(rows(1024 + 4 * j, 1, 4, 0), Operand::kW, col.data());
          }
        }) == "");
  CHECK(f.stats.words_compared == 16);
}
