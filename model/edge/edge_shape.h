// The junction-pipelined edge-processing trainer of pre-defined sparse
// networks (Dey, Chugg, Beerel; background (d)), accelerator.kind: edge.
//
// A network of L layers, N_0 … N_{L−1} neurons; junction j (1 ≤ j < L)
// connects layer j−1 to layer j. Every left neuron has out-degree fo_j
// (network.layers[j−1].fan_out), every right neuron in-degree
// fi_j = N_{j−1}·fo_j / N_j, so the junction has |W_j| = N_{j−1}·fo_j weights,
// stored as C = |W_j| / z_j rows of z_j words (accelerator.edge.z). Each clock
// a junction reads one row and uses it three ways: the feed-forward (FF) of
// one input, the backpropagation (BP, junctions j ≥ 2) and the weight update
// (UP) of an older one, whose new row is written back 1 + P clocks later. All
// junctions have the same C, and one input enters each block cycle of
//     cpc = C + 2 + P clocks
// (P = proc_latency: a multiplier stage and the adder-tree register; the 2
// are the RAM read and the registered activation look-up).
//
// Timing in blocks (the closed form, model/edge/edge_shape.cpp):
//   pipelined training, N inputs: N + 2L − 2 blocks: the fill (L blocks, the
//     first input's FF through every junction), N − 1 blocks of overlap
//     (every junction doing FF, BP and UP at once) and the drain (L − 1
//     blocks, the last input's BP and UP); latency 2L − 1 blocks;
//   baseline (one input at a time, the next input's FF after the previous
//     one's last UP): N·(2L − 2) + 1 blocks: the first input's L forward blocks,
//     L − 1 more for every later one (its entry block is the previous input's
//     last UP block), and L − 1 backward blocks an input;
//   inference (pipelined FF only): N + L − 1 blocks.
// Cycle 0 is the first clock of the block the first input enters in.
//
// Counts per training input (j over the junctions, B = the junctions with BP,
// j ≥ 2): weight reads Σ|W_j| (one row read serves FF, BP and UP; read
// separately they would be FF Σ|W_j| + BP Σ_B|W_j| + UP Σ|W_j|), weight
// writes Σ|W_j|; activation reads 2·Σ|W_j| (FF reads the left activations of
// its row, UP those of an older input) and writes N_0 + Σ N_j; σ′ writes
// Σ of the hidden layers' N_j, reads Σ_B|W_j| (BP); partial δ reads and
// writes Σ_B|W_j| (BP's read-modify-write of the left neuron's δ), δ reads
// Σ|W_j| (UP), δ writes of the output layer N_{L−1}; MACs FF + BP + UP. Report
// operands: weights w, activations x, σ′ mask, δ dy, partial δ dx.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"

namespace systrain {

struct EdgeShape {
  int layers = 0;                    // L
  std::vector<int64_t> n;            // N_0 … N_{L−1}
  std::vector<int64_t> fo, fi, z, w; // per junction j = 1 … L−1, at j − 1
  int64_t c = 0;                     // rows of every junction
  int p = 2;
  int64_t cpc() const { return c + 2 + p; }
  int junctions() const { return layers - 1; }
  bool bp(int j) const { return j >= 2; }  // junction j (1-based) backpropagates
  int64_t edges() const;                  // Σ |W_j|
  int64_t bp_edges() const;               // Σ over junctions with BP
  // multipliers: z a junction for FF and for UP, two for BP (δ·σ′, then ·w)
  int64_t multipliers(bool training = true) const;  // (inference: FF's alone)
};

// The shape of an edge config; a problem is (config path, message)
EdgeShape edge_shape(const Config& cfg, std::vector<std::pair<std::string, std::string>>* problems = nullptr);

struct EdgeTiming {
  int64_t blocks = 0, cycles = 0;
  int64_t forward = 0, backward = 0, overlap = 0;  // cycles (training: forward + backward + overlap = cycles)
};
// N inputs under `kind` (pipelined, baseline or inference)
EdgeTiming edge_timing(const EdgeShape& s, ScheduleKind kind, int64_t inputs);

// What a junction does in clock k of a block (0 ≤ k < cpc): the row it reads
// (k < C), the row whose update it writes back (k − 1 − P, the UP pipeline),
// and the FF outputs it writes (the right neurons of row k − 2 − P); -1: none.
struct BlockClock {
  int64_t read_row = -1, rewrite_row = -1, output_row = -1;
};
BlockClock block_clock(const EdgeShape& s, int64_t k);

}  // namespace systrain
