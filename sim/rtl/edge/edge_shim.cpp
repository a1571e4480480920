// Compiled once per junction width together with the Verilated edge_junction: adapts its typed ports to the
// width-independent C ABI of edge_abi.h.
#include <memory>

#include "../shim/port_bits.h"
#include "Vedge_junction.h"
#include "edge_abi.h"
#include "verilated.h"

namespace {
using namespace systrain::edge_abi;
using namespace systrain::port_bits;

struct Model {
  VerilatedContext ctx;
  std::unique_ptr<Vedge_junction> top = std::make_unique<Vedge_junction>(&ctx);
};

void set(void* m, int port, int lane, int64_t value) {
  auto& t = *static_cast<Model*>(m)->top;
  switch (port) {
#define IN(p) put_bits(t.p, 0, 64, static_cast<uint64_t>(value))
#define IN_D(p) put_bits(t.p, lane * SYSTRAIN_D, SYSTRAIN_D, static_cast<uint64_t>(value))
#define OUT(p) (void)0
#define OUT_D(p) (void)0
#define OUT_A(p) (void)0
#define SYSTRAIN_EDGE_PORT(name, verilog, kind) \
  case k##name:                                 \
    kind(verilog);                              \
    break;
#include "edge_ports.def"
#undef SYSTRAIN_EDGE_PORT
#undef IN
#undef IN_D
#undef OUT
#undef OUT_D
#undef OUT_A
  }
}

int64_t get(void* m, int port, int lane) {
  auto& t = *static_cast<Model*>(m)->top;
  switch (port) {
#define IN(p) return 0
#define IN_D(p) return 0
#define OUT(p) return static_cast<int64_t>(get_bits(t.p, 0, 63))
#define OUT_D(p) return sext(get_bits(t.p, lane * SYSTRAIN_D, SYSTRAIN_D), SYSTRAIN_D)
#define OUT_A(p) return static_cast<int64_t>(get_bits(t.p, lane * kAwid, kAwid))
#define SYSTRAIN_EDGE_PORT(name, verilog, kind) \
  case k##name:                                 \
    kind(verilog);
#include "edge_ports.def"
#undef SYSTRAIN_EDGE_PORT
#undef IN
#undef IN_D
#undef OUT
#undef OUT_D
#undef OUT_A
  }
  return 0;
}

const Api kApi = {kAbiVersion,
                  SYSTRAIN_Z,
                  SYSTRAIN_D,
                  SYSTRAIN_F,
                  [] { return static_cast<void*>(new Model); },
                  [](void* m) { delete static_cast<Model*>(m); },
                  set,
                  get,
                  [](void* m) { static_cast<Model*>(m)->top->eval(); }};
}  // namespace

extern "C" const systrain::edge_abi::Api* systrain_edge_rtl_api() { return &kApi; }
