// One junction's block of the edge trainer, clock by clock: the unit of work
// rtl/edge/edge_junction.sv runs, in closed form (TLM) with its values in
// fixed point. The memories are the host's; every access is an event (block
// clock, memory, bank, row), and co-simulation compares them and every word
// written (tests/test_edge_rtl.cpp). A memory bank has one read and one write
// port: two reads (or two writes) of one bank in one clock are a clash.
//
// Clock k < C: W row k read (bank 0); the left layer's banks t at the lanes'
// interleaved rows: activations of the FF input (ff), of the UP input (up),
// σ′ (bp); the right δ of row k's z/fi neurons (banks g, row k; up or bp).
// Clock k + 2: the partial δ of row k's left neurons read (bp); k + 3: W row k
// written (up), the partial δ written (bp); k + 4: row k's right neurons'
// a, σ′ and (last) δ written (ff). A block is C + 4 clocks (P = 2).
// Left neuron of bank t, row r: r·z + t; right neuron of bank g, row k:
// k·(z/fi) + g.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "edge_fixed.h"

namespace systrain {

struct EdgeBlock {
  int64_t z = 0, fi = 1, rows = 0, dl = 1;  // lanes, fan-in, C, rows a pass
  int kshift = 0;
  bool ff = false, bp = false, up = false, last = false;
  int64_t label = -1;                           // last: the right neuron whose target is 2^F − 1
  std::vector<std::vector<int64_t>> start;      // [pass][lane]: the interleaver's start vectors
  int64_t cycles() const { return rows + 4; }
  int64_t left_row(int64_t k, int64_t t) const { return (k % dl + start[k / dl][t]) % dl; }
};

// the memories of a block (words)
struct EdgeMem {
  std::vector<int64_t> w;                   // rows × z
  std::vector<int64_t> a_ff, a_up, sp, pd;  // the left layer
  std::vector<int64_t> dr;                  // the right layer's δ
  std::vector<int64_t> out_a, out_sp, out_delta;
};

enum class EdgeMemId : uint8_t { kW, kAff, kAup, kSp, kPd, kDr, kOut };
const char* to_string(EdgeMemId m);

struct EdgeEvent {
  int64_t clock = 0;
  EdgeMemId mem = EdgeMemId::kW;
  bool write = false;
  int64_t bank = 0, row = 0;
  bool operator==(const EdgeEvent& o) const {
    return clock == o.clock && mem == o.mem && write == o.write && bank == o.bank && row == o.row;
  }
  bool operator<(const EdgeEvent& o) const;
};
std::string describe(const EdgeEvent& e);

// Runs the block on `mem` (values; η from the block, the rest of the format from `num`) and returns its
// events, sorted
std::vector<EdgeEvent> edge_block_tlm(const EdgeBlock& b, EdgeMem& mem, const EdgeFixed& num);

// "" or the first clock in which a bank is read (or written) twice
std::string first_clash(const std::vector<EdgeEvent>& events);

}  // namespace systrain
