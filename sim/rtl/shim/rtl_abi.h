// The C ABI between systrain and a Verilated systolic_top built for one array
// shape (see scripts/build_rtl_model.sh). Each shape is its own shared library
// exporting systrain_rtl_api(); the host dlopen()s the one it needs.
#pragma once
#include <cstdint>

namespace systrain::rtl_abi {

constexpr int kAbiVersion = 5;

// Scalar inputs take lane 0; vector ports take a lane (row or column).
// The ports are listed once, in rtl_ports.def.
enum Port : int {
#define SYSTRAIN_PORT(name, verilog, kind) k##name,
#include "rtl_ports.def"
#undef SYSTRAIN_PORT
};

struct Api {
  int abi_version;
  int rows, cols, data_bits, acc_bits, multipliers;
  void* (*create)();
  void (*destroy)(void* model);
  // set writes the low bits of value into the port (a lane of a vector port);
  // get returns a port (lane) value, sign-extended for data lanes.
  void (*set)(void* model, int port, int lane, int64_t value);
  int64_t (*get)(void* model, int port, int lane);
  void (*eval)(void* model);
  int (*trace_open)(void* model, const char* path);  // 0 on success
  void (*trace_dump)(void* model, uint64_t time);
  int (*trace_close)(void* model);  // 0, or the errno of the first write that failed (a full disk)
};

}  // namespace systrain::rtl_abi

extern "C" const systrain::rtl_abi::Api* systrain_rtl_api();
