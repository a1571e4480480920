// The edge trainer's values (model/edge/edge_shape.h for its timing): the
// pre-defined sparse connectivity, and training block by block as the
// junction pipeline does it, in fixed point or float32.
//
// Connectivity. Junction j's |W_j| edges are its weight words in row-major
// order, edge e = row r·z + lane t. Lane t of every row reads bank t of the
// left layer's activations (bank = neuron mod z), so a row touches every bank
// once (clash-free); the rows are fo passes of N_{j−1}/z rows over the left
// layer, and in pass p the lane-t neuron of row r is
//     ((r mod (N/z) + s_p[t]) mod (N/z))·z + t,
// s the interleaver's start vector: all zeros (the identity: edge e meets
// left neuron e mod N) or drawn from training.seed. Edge e feeds right neuron
// e / fi: a row holds z/fi whole right neurons, each summed by an adder tree.
//
// Numerics (fixed point, data_bits D, frac_bits f; the RTL implements the
// same): products round half up and saturate to D bits (Q·f), adder trees and
// the δ accumulation saturate at every add, the tree pairing (0,1), (2,3), …
// level by level; a = σ(s) and σ′(s) come from a look-up table over every
// D-bit s: σ = round(2^f/(1 + e^(−s/2^f))) at most 2^f − 1, σ′ = round(2^f·σ(1 − σ))
// of the exact σ; the output error δ = a − y (y one-hot: 2^f − 1 for the
// label); BP adds (δ_r·σ′_l)·w into the left neuron's δ; UP subtracts
// round(a_l·δ_r / 2^k) (η = 2^−k) from w, saturated. Inputs are pixel / 255
// rounded to input_bits − 1 fractional bits (at most 2^(input_bits−1) − 1),
// widened to f. float32 does the same in floats with the exact sigmoid.
//
// Pipelining. In block b junction j does the FF of input b − j and the BP and
// UP of input b − (2L − 1 − j); FF and BP read the weights as they were at the
// block's start, and the block's updates are written for the blocks after it.
// baseline runs one input's FF, BP and UP before the next input's FF (SGD).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "config.h"
#include "edge_fixed.h"
#include "edge_shape.h"
#include "samples.h"

namespace systrain {

struct EdgeNet {
  EdgeShape shape;
  // per junction: each edge's left and right neuron; the interleaver's start vectors [pass][lane]
  std::vector<std::vector<int32_t>> left, right;
  std::vector<std::vector<std::vector<int64_t>>> start;
};
EdgeNet edge_net(const Config& cfg, const EdgeShape& s);

struct EdgeTrainResult {
  std::vector<double> test_accuracy, train_accuracy, train_loss;  // per epoch
  uint64_t weights_fnv1a = 0;
  std::vector<std::vector<int64_t>> initial, weights;  // the first and final words (fixed) or float bits, per junction
};

// Trains over `train` (epochs × its samples, back to back) and scores `test`
// after each epoch with the weights then in the junctions.
EdgeTrainResult edge_train(const Config& cfg, const EdgeNet& net, const Samples& train, const Samples& test);

struct EdgeBlock;
struct EdgeMem;
// runs block `index` (in order) of junction j on its memories
using EdgeBlockUnit = std::function<void(int64_t index, int junction, const EdgeBlock&, EdgeMem&)>;
// The same training in fixed point, each junction's block of work run by `unit`
// (model/edge/edge_block.h's model, the junction's RTL, or both): the weights
// are edge_train's, bit for bit (test_edge)
EdgeTrainResult edge_train_blocks(const Config& cfg, const EdgeNet& net, const Samples& train, const Samples& test,
                                  const EdgeBlockUnit& unit);


}  // namespace systrain
