// Lowering a network to per-layer GEMMs. A dense layer with K inputs and N
// units is Y[M×N] = X[M×K]·W[K×N] (+ b), M = the samples of the step; a bias
// is W's extra last row, met by a constant-1 column of X (kw = K + 1). ReLU,
// when asked, is applied as the outputs leave the array.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"

namespace systrain {

struct LayerPlan {
  int index = 0;
  int64_t k = 0, n = 0;
  bool relu = false, bias = false;
  int64_t w_addr = 0;
  int64_t kw() const { return k + (bias ? 1 : 0); }  // rows of W
};

struct Workload {
  std::vector<LayerPlan> layers;
  int64_t input_width = 0;   // K of the first layer
  int64_t weight_words = 0;  // all layers (with bias rows)
};

Workload build_workload(const Config& cfg);

// Warnings about a valid config whose results a user should doubt: SRAM
// bandwidth shortfalls (the most words the array edge moves to or from a
// buffer in one cycle exceed sram.words_per_cycle; bandwidth stalls are not
// modelled, so the cycle counts are optimistic), and fixed-point formats
// whose every operand saturates.
std::vector<std::string> config_warnings(const Config& cfg);


}  // namespace systrain
