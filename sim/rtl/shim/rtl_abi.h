// The C ABI between systrain and a Verilated systolic_top built for one array
// shape (see scripts/build_rtl_model.sh). Each shape is its own shared library
// exporting systrain_rtl_api(); the host dlopen()s the one it needs.
#pragma once
#include <cstdint>

namespace systrain::rtl_abi {

constexpr int kAbiVersion = 6;

// The ports are listed once, in rtl_ports.def: scalar inputs through set,
// scalar outputs through outputs, vector ports a lane per row or column
// through set_lanes and get_lanes.
enum Port : int {
#define SYSTRAIN_PORT(name, verilog, kind) k##name,
#include "rtl_ports.def"
#undef SYSTRAIN_PORT
};

// The scalar outputs, read in one call once a clock edge is evaluated.
struct Outputs {
#define SYSTRAIN_PORT(name, verilog, kind) SYSTRAIN_OUTPUTS_##kind(verilog)
#define SYSTRAIN_OUTPUTS_OUT(verilog) int64_t verilog;
#define SYSTRAIN_OUTPUTS_IN(verilog)
#define SYSTRAIN_OUTPUTS_IN_LANES_DW(verilog)
#define SYSTRAIN_OUTPUTS_IN_LANES_AW(verilog)
#define SYSTRAIN_OUTPUTS_OUT_LANES_AW(verilog)
#include "rtl_ports.def"
#undef SYSTRAIN_PORT
#undef SYSTRAIN_OUTPUTS_OUT
#undef SYSTRAIN_OUTPUTS_IN
#undef SYSTRAIN_OUTPUTS_IN_LANES_DW
#undef SYSTRAIN_OUTPUTS_IN_LANES_AW
#undef SYSTRAIN_OUTPUTS_OUT_LANES_AW
};

struct Api {
  int abi_version;
  int rows, cols, data_bits, acc_bits, multipliers;
  void* (*create)();
  void (*destroy)(void* model);
  // set writes the low bits of value into a scalar input; clock sets clk and
  // evaluates; outputs reads every scalar output; set_lanes writes lanes
  // [0, n) of a vector input; get_lanes reads lanes [0, n) of a vector
  // output, sign-extended. (One call each: the host makes them every cycle.)
  void (*set)(void* model, int port, int64_t value);
  void (*clock)(void* model, int clk);
  void (*outputs)(void* model, Outputs* out);
  void (*set_lanes)(void* model, int port, int n, const int64_t* values);
  void (*get_lanes)(void* model, int port, int n, int64_t* values);
  int (*trace_open)(void* model, const char* path);  // 0 on success
  void (*trace_dump)(void* model, uint64_t time);
  int (*trace_close)(void* model);  // 0, or the errno of the first write that failed (a full disk)
};

}  // namespace systrain::rtl_abi

extern "C" const systrain::rtl_abi::Api* systrain_rtl_api();
