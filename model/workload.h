// Lowering a network to per-layer GEMMs and placing its tensors in the
// buffers. A dense layer with K inputs and N units is Y[M×N] = X[M×K]·W[K×N]
// (no bias), M = the samples of the step; ReLU, when asked, is applied as the
// outputs leave the array.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "layout.h"

namespace systrain {

struct LayerPlan {
  int index = 0;
  int64_t k = 0, n = 0;
  bool relu = false;
  int64_t w_addr = 0;
};

struct Workload {
  std::vector<LayerPlan> layers;
  int64_t input_width = 0;   // K of the first layer
  int64_t max_width = 0;     // widest activation row
  int64_t weight_words = 0;  // all layers
  int64_t max_n = 0;
};

Workload build_workload(const Config& cfg);

// Activations ping-pong between two regions of max_width·m elements.
LayerLayout layer_layout(const Workload& w, int layer, int64_t m);

// The most words the array edge moves to or from each buffer in one cycle
// (reads and writes together), compared with sram.words_per_cycle. Bandwidth
// stalls are not modelled, so a shortfall makes the cycle counts optimistic;
// each such buffer gives one warning.
std::vector<std::string> sram_bandwidth_warnings(const Config& cfg);

// words (elements) each buffer must hold for steps of m samples
int64_t activation_elements(const Workload& w, int64_t m);
int64_t gradient_elements(const Workload& w, int64_t m);

}  // namespace systrain
