// Compiled once per array shape together with the Verilated model: adapts
// Vsystolic_top's typed ports (CData .. VlWide<N>, depending on the shape) to
// the width-independent C ABI of rtl_abi.h.
#include <memory>
#include <type_traits>

#include "Vsystolic_top.h"
#include "rtl_abi.h"
#include "verilated.h"
#include "verilated_vcd_c.h"

namespace {
using namespace systrain::rtl_abi;

struct Model {
  VerilatedContext ctx;
  std::unique_ptr<Vsystolic_top> top;
  std::unique_ptr<VerilatedVcdC> vcd;
  Model() {
    ctx.traceEverOn(true);
    top = std::make_unique<Vsystolic_top>(&ctx);
  }
};

uint64_t mask_of(int width) { return width >= 64 ? ~0ULL : ((1ULL << width) - 1); }

// bit-field access on an integer port
template <class T>
std::enable_if_t<std::is_integral_v<T>> put_bits(T& port, int lsb, int width, uint64_t v) {
  const uint64_t m = mask_of(width) << lsb;
  port = static_cast<T>((static_cast<uint64_t>(port) & ~m) | ((v << lsb) & m));
}
template <class T>
std::enable_if_t<std::is_integral_v<T>, uint64_t> get_bits(const T& port, int lsb, int width) {
  return (static_cast<uint64_t>(port) >> lsb) & mask_of(width);
}
// bit-field access on a wide port (32-bit words, little-endian)
template <std::size_t N>
void put_bits(VlWide<N>& port, int lsb, int width, uint64_t v) {
  for (int b = 0; b < width;) {
    const int w = (lsb + b) / 32, o = (lsb + b) % 32, n = std::min(32 - o, width - b);
    const uint32_t m = static_cast<uint32_t>(mask_of(n)) << o;
    port[w] = (port[w] & ~m) | ((static_cast<uint32_t>(v >> b) << o) & m);
    b += n;
  }
}
template <std::size_t N>
uint64_t get_bits(const VlWide<N>& port, int lsb, int width) {
  uint64_t v = 0;
  for (int b = 0; b < width;) {
    const int w = (lsb + b) / 32, o = (lsb + b) % 32, n = std::min(32 - o, width - b);
    v |= static_cast<uint64_t>((port[w] >> o) & static_cast<uint32_t>(mask_of(n))) << b;
    b += n;
  }
  return v;
}
int64_t sext(uint64_t v, int width) {
  return width >= 64 ? static_cast<int64_t>(v)
                     : static_cast<int64_t>(v << (64 - width)) >> (64 - width);
}

constexpr int kRows = SYSTRAIN_ROWS, kCols = SYSTRAIN_COLS, kDw = SYSTRAIN_DW, kAw = SYSTRAIN_AW,
              kMult = SYSTRAIN_MULT;

void set(void* p, int port, int lane, int64_t value) {
  auto& t = *static_cast<Model*>(p)->top;
  const auto v = static_cast<uint64_t>(value);
  switch (port) {
    case kClk: t.clk = v & 1; break;
    case kRst: t.rst = v & 1; break;
    case kStart: t.start = v & 1; break;
    case kMode: t.mode = v & 3; break;
    case kFirst: t.first = v & 1; break;
    case kLast: t.last = v & 1; break;
    case kRelu: t.relu = v & 1; break;
    case kAgEn: t.ag_en = v & 1; break;
    case kShift: t.shift = v & 63; break;
    case kGShift: t.g_shift = v & 63; break;
    case kLr: t.lr = v & 0xffffff; break;
    case kUpdShift: t.upd_shift = v & 63; break;
    case kRowsUsed: t.rows_used = v & 0xffff; break;
    case kColsUsed: t.cols_used = v & 0xffff; break;
    case kXu: t.xu = v & 0xffff; break;
    case kLen: t.len = static_cast<uint32_t>(v); break;
    case kTopRdData: put_bits(t.top_rd_data, lane * kDw, kDw, v); break;
    case kLeftRdData: put_bits(t.left_rd_data, lane * kDw, kDw, v); break;
    case kPsumRdData: put_bits(t.psum_rd_data, lane * kAw, kAw, v); break;
    default: break;
  }
}

int64_t get(void* p, int port, int lane) {
  auto& t = *static_cast<Model*>(p)->top;
  switch (port) {
    case kBusy: return t.busy;
    case kLastCycle: return t.last_cycle;
    case kPhase: return t.phase;
    case kTopRdEn: return t.top_rd_en;
    case kTopRdIdx: return t.top_rd_idx;
    case kLeftRdEn: return t.left_rd_en;
    case kLeftRdIdx: return t.left_rd_idx;
    case kPsumRdEn: return t.psum_rd_en;
    case kPsumRdIdx: return t.psum_rd_idx;
    case kOutWrEn: return t.out_wr_en;
    case kOutWrIdx: return t.out_wr_idx;
    case kOutWrData: return sext(get_bits(t.out_wr_data, lane * kAw, kAw), kAw);
    default: return 0;
  }
}

void* create() { return new Model(); }
void destroy(void* p) {
  auto* m = static_cast<Model*>(p);
  if (m->vcd) m->vcd->close();
  m->top->final();
  delete m;
}
void eval(void* p) { static_cast<Model*>(p)->top->eval(); }
int trace_open(void* p, const char* path) {
  auto* m = static_cast<Model*>(p);
  m->vcd = std::make_unique<VerilatedVcdC>();
  m->top->trace(m->vcd.get(), 99);
  m->vcd->open(path);
  return m->vcd->isOpen() ? 0 : 1;
}
void trace_dump(void* p, uint64_t time) {
  auto* m = static_cast<Model*>(p);
  if (m->vcd) m->vcd->dump(time);
}
void trace_close(void* p) {
  auto* m = static_cast<Model*>(p);
  if (m->vcd) m->vcd->close();
  m->vcd.reset();
}

const Api kApi{kAbiVersion, kRows, kCols, kDw, kAw, kMult, create, destroy, set, get,
               eval, trace_open, trace_dump, trace_close};
}  // namespace

extern "C" const Api* systrain_rtl_api() { return &kApi; }
