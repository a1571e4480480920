// Compiled once per array shape together with the Verilated model: adapts
// Vsystolic_top's typed ports (CData .. VlWide<N>, depending on the shape) to
// the width-independent C ABI of rtl_abi.h.
#include <cerrno>
#include <memory>
#include <type_traits>

#include "Vsystolic_top.h"
#include "port_bits.h"
#include "rtl_abi.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {
using namespace systrain::rtl_abi;
using namespace systrain::port_bits;

#if VM_TRACE
// The trace file: a write that fails (a full disk) is remembered and the
// rest of the trace dropped, instead of Verilator's fatal error, whose flush
// callbacks write again and hang the process.
struct CheckedFile final : VerilatedVcdFile {
  int error = 0;
  ssize_t write(const char* bufp, ssize_t len) override {
    if (error) return len;
    const ssize_t got = VerilatedVcdFile::write(bufp, len);
    if (got < 0 && errno != EAGAIN && errno != EINTR) {
      error = errno;
      return len;
    }
    return got;
  }
};
#else
struct CheckedFile {  // a model built without --trace (it traces nothing)
  int error = 0;
};
struct VerilatedVcdC {
  void close() {}
};
#endif

struct Model {
  VerilatedContext ctx;
  std::unique_ptr<Vsystolic_top> top;
  std::unique_ptr<CheckedFile> file;
  std::unique_ptr<VerilatedVcdC> vcd;
  Model() {
#if VM_TRACE
    ctx.traceEverOn(true);
#endif
    top = std::make_unique<Vsystolic_top>(&ctx);
  }
};

constexpr int kRows = SYSTRAIN_ROWS, kCols = SYSTRAIN_COLS, kDw = SYSTRAIN_DW, kAw = SYSTRAIN_AW,
              kMult = SYSTRAIN_MULT;
// the Verilog widths of the scalar inputs (rtl/systolic/systolic_top.sv)
constexpr int kWidth_clk = 1, kWidth_rst = 1, kWidth_stall = 1, kWidth_start = 1, kWidth_mode = 2, kWidth_first = 1, kWidth_last = 1,
              kWidth_relu = 1, kWidth_ag_en = 1, kWidth_shift = 6, kWidth_g_shift = 6, kWidth_lr = 24,
              kWidth_upd_shift = 6, kWidth_rows_used = 16, kWidth_cols_used = 16, kWidth_xu = 16, kWidth_len = 32,
              kWidth_preloaded = 1, kWidth_pf_rows = 16, kWidth_pf_cols = 16;

// a scalar input takes the low bits of the value (Verilator masks nothing:
// the port's C type is at least as wide, so mask to the Verilog width)
template <class T>
void put_scalar(T& port, uint64_t v, int width) {
  port = static_cast<T>(v & mask_of(width));
}

void set(void* p, int port, int64_t value) {
  auto& t = *static_cast<Model*>(p)->top;
  const auto v = static_cast<uint64_t>(value);
  switch (port) {
#define SYSTRAIN_PORT(name, verilog, kind) SYSTRAIN_SET_##kind(name, verilog)
#define SYSTRAIN_SET_IN(name, verilog) \
  case k##name: put_scalar(t.verilog, v, kWidth_##verilog); break;
#define SYSTRAIN_SET_IN_LANES_DW(name, verilog)
#define SYSTRAIN_SET_IN_LANES_AW(name, verilog)
#define SYSTRAIN_SET_OUT(name, verilog)
#define SYSTRAIN_SET_OUT_LANES_AW(name, verilog)
#include "rtl_ports.def"
#undef SYSTRAIN_PORT
    default: break;
  }
}

void set_lanes(void* p, int port, int n, const int64_t* values) {
  auto& t = *static_cast<Model*>(p)->top;
  switch (port) {
#define SYSTRAIN_PORT(name, verilog, kind) SYSTRAIN_SET_LANES_##kind(name, verilog)
#define SYSTRAIN_SET_LANES_IN_LANES_DW(name, verilog) \
  case k##name:                                      \
    for (int i = 0; i < n; ++i) put_bits(t.verilog, i * kDw, kDw, static_cast<uint64_t>(values[i])); \
    break;
#define SYSTRAIN_SET_LANES_IN_LANES_AW(name, verilog) \
  case k##name:                                      \
    for (int i = 0; i < n; ++i) put_bits(t.verilog, i * kAw, kAw, static_cast<uint64_t>(values[i])); \
    break;
#define SYSTRAIN_SET_LANES_IN(name, verilog)
#define SYSTRAIN_SET_LANES_OUT(name, verilog)
#define SYSTRAIN_SET_LANES_OUT_LANES_AW(name, verilog)
#include "rtl_ports.def"
#undef SYSTRAIN_PORT
    default: break;
  }
}

void get_lanes(void* p, int port, int n, int64_t* values) {
  auto& t = *static_cast<Model*>(p)->top;
  switch (port) {
#define SYSTRAIN_PORT(name, verilog, kind) SYSTRAIN_GET_LANES_##kind(name, verilog)
#define SYSTRAIN_GET_LANES_OUT_LANES_AW(name, verilog) \
  case k##name:                                       \
    for (int i = 0; i < n; ++i) values[i] = sext(get_bits(t.verilog, i * kAw, kAw), kAw); \
    break;
#define SYSTRAIN_GET_LANES_IN(name, verilog)
#define SYSTRAIN_GET_LANES_OUT(name, verilog)
#define SYSTRAIN_GET_LANES_IN_LANES_DW(name, verilog)
#define SYSTRAIN_GET_LANES_IN_LANES_AW(name, verilog)
#include "rtl_ports.def"
#undef SYSTRAIN_PORT
    default: break;
  }
}

void outputs(void* p, Outputs* o) {
  auto& t = *static_cast<Model*>(p)->top;
#define SYSTRAIN_PORT(name, verilog, kind) SYSTRAIN_OUTPUT_##kind(verilog)
#define SYSTRAIN_OUTPUT_OUT(verilog) o->verilog = static_cast<int64_t>(t.verilog);
#define SYSTRAIN_OUTPUT_IN(verilog)
#define SYSTRAIN_OUTPUT_IN_LANES_DW(verilog)
#define SYSTRAIN_OUTPUT_IN_LANES_AW(verilog)
#define SYSTRAIN_OUTPUT_OUT_LANES_AW(verilog)
#include "rtl_ports.def"
#undef SYSTRAIN_PORT
}

void* create() { return new Model(); }
void destroy(void* p) {
  auto* m = static_cast<Model*>(p);
  if (m->vcd) m->vcd->close();
  m->top->final();
  delete m;
}
void clock(void* p, int clk) {
  auto& t = *static_cast<Model*>(p)->top;
  t.clk = static_cast<CData>(clk & 1);
  t.eval();
}
int trace_open(void* p, const char* path) {
#if !VM_TRACE
  (void)p, (void)path;
  return 1;  // built without --trace: the caller loads the traced build to trace
#else
  auto* m = static_cast<Model*>(p);
  m->file = std::make_unique<CheckedFile>();
  m->vcd = std::make_unique<VerilatedVcdC>(m->file.get());
  m->top->trace(m->vcd.get(), 99);
  m->vcd->open(path);
  return m->vcd->isOpen() ? 0 : 1;
#endif
}
void trace_dump(void* p, uint64_t time) {
#if VM_TRACE
  auto* m = static_cast<Model*>(p);
  if (m->vcd) m->vcd->dump(time);
#else
  (void)p, (void)time;
#endif
}
int trace_close(void* p) {
  auto* m = static_cast<Model*>(p);
  if (m->vcd) m->vcd->close();
  m->vcd.reset();
  const int error = m->file ? m->file->error : 0;
  m->file.reset();
  return error;
}

const Api kApi{kAbiVersion, kRows,     kCols,     kDw,        kAw,        kMult,      create, destroy, set,
               clock,       outputs,   set_lanes, get_lanes,  trace_open, trace_dump, trace_close};
}  // namespace

extern "C" const Api* systrain_rtl_api() { return &kApi; }
