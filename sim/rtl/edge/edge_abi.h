// The C ABI between systrain and a Verilated rtl/edge/edge_junction.sv built for
// one width (lanes Z, data bits D, fractional bits F; scripts/build_edge_rtl_model.sh).
// Each is its own shared library exporting systrain_edge_rtl_api().
#pragma once
#include <cstdint>

namespace systrain::edge_abi {

constexpr int kAbiVersion = 1;
constexpr int kAwid = 16, kPasses = 16;  // the row address bits and the start vectors a model holds

enum Port : int {
#define SYSTRAIN_EDGE_PORT(name, verilog, kind) k##name,
#include "edge_ports.def"
#undef SYSTRAIN_EDGE_PORT
};

struct Api {
  int abi_version;
  int lanes, data_bits, frac_bits;
  void* (*create)();
  void (*destroy)(void* model);
  void (*set)(void* model, int port, int lane, int64_t value);
  int64_t (*get)(void* model, int port, int lane);
  void (*eval)(void* model);
};

}  // namespace systrain::edge_abi

extern "C" const systrain::edge_abi::Api* systrain_edge_rtl_api();
