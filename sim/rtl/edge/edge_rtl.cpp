#include "edge_rtl.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "rtl_model_cache.h"

namespace systrain {

namespace {
const edge_abi::Api& load(int lanes, int d, int f, bool verbose) {
  const std::filesystem::path src = SYSTRAIN_SOURCE_DIR;
  RtlBuildSpec spec;
  spec.name = fmt::format("edge_z{}_d{}_f{}", lanes, d, f);
  spec.what = fmt::format("an edge junction of {} lanes", lanes);
  spec.sources_list = rtl_source_dir() / "rtl" / "edge" / "sources.f";
  spec.shim_dir = src / "sim" / "rtl" / "edge";
  spec.shim_files = {"edge_shim.cpp", "edge_abi.h", "edge_ports.def", "../shim/port_bits.h"};
  spec.script = rtl_source_dir() / "scripts" / "build_edge_rtl_model.sh";
  spec.args = {std::to_string(lanes), std::to_string(d), std::to_string(f)};
  spec.lib = "libedge.so";
  spec.symbol = "systrain_edge_rtl_api";
  const auto* api = static_cast<const edge_abi::Api*>(load_rtl_library(spec, verbose));
  if (api->abi_version != edge_abi::kAbiVersion || api->lanes != lanes || api->data_bits != d || api->frac_bits != f)
    throw RtlModelError("the cached edge RTL model does not match the requested one");
  return *api;
}
}  // namespace

EdgeJunctionRtl::EdgeJunctionRtl(int lanes, int d, int f, bool verbose)
    : api_(load(lanes, d, f, verbose)), lanes_(lanes) {
  model_ = api_.create();
  using namespace edge_abi;
  api_.set(model_, kRst, 0, 1);
  api_.set(model_, kClk, 0, 0);
  api_.eval(model_);
  tick();
  api_.set(model_, kRst, 0, 0);
  api_.eval(model_);
}

EdgeJunctionRtl::~EdgeJunctionRtl() {
  if (model_) api_.destroy(model_);
}

void EdgeJunctionRtl::tick() {
  api_.set(model_, edge_abi::kClk, 0, 1);
  api_.eval(model_);
  api_.set(model_, edge_abi::kClk, 0, 0);
  api_.eval(model_);
}

std::vector<EdgeEvent> EdgeJunctionRtl::run(const EdgeBlock& b, EdgeMem& m, int64_t* clocks) {
  using namespace edge_abi;
  auto set = [&](Port p, int64_t v, int lane = 0) { api_.set(model_, p, lane, v); };
  auto get = [&](Port p, int lane = 0) { return api_.get(model_, p, lane); };
  if (b.z > lanes_ || static_cast<int>(b.start.size()) > kPasses)
    throw std::runtime_error(fmt::format("a junction of {} lanes and {} passes does not fit the RTL's {} and {}", b.z,
                                         b.start.size(), lanes_, kPasses));
  for (size_t p = 0; p < b.start.size(); ++p)
    for (int64_t t = 0; t < b.z; ++t) {
      set(kSvWe, 1), set(kSvPass, static_cast<int64_t>(p)), set(kSvLane, t), set(kSvVal, b.start[p][t]);
      tick();
    }
  set(kSvWe, 0);
  int lfi = 0;
  while ((int64_t{1} << lfi) < b.fi) ++lfi;
  set(kZUsed, b.z), set(kLfi, lfi), set(kRows, b.rows), set(kDl, b.dl), set(kDoFf, b.ff), set(kDoBp, b.bp);
  set(kDoUp, b.up), set(kLast, b.last), set(kLabel, b.label < 0 ? 0x7fffff : b.label), set(kKshift, b.kshift);
  const int64_t groups = b.z / b.fi;
  std::vector<EdgeEvent> ev;
  struct Write {
    std::vector<int64_t>* mem;
    int64_t n, v;
  };
  std::vector<Write> writes;
  set(kStart, 1);
  int64_t c = 0;
  for (; c < b.cycles() + 64; ++c) {
    api_.eval(model_);
    if (!get(kBusy)) break;
    if (c > 0) set(kStart, 0);
    // the reads of this clock, served read-first
    if (get(kWRdEn)) {
      const int64_t row = get(kWRdRow);
      ev.push_back({c, EdgeMemId::kW, false, 0, row});
      for (int64_t t = 0; t < b.z; ++t) set(kWRdData, m.w.at(row * b.z + t), static_cast<int>(t));
    }
    auto lanes_rd = [&](Port en, Port addr, Port data, EdgeMemId id, const std::vector<int64_t>& mem) {
      if (!get(en)) return;
      for (int64_t t = 0; t < b.z; ++t) {
        const int64_t row = get(addr, static_cast<int>(t));
        ev.push_back({c, id, false, t, row});
        set(data, mem.at(row * b.z + t), static_cast<int>(t));
      }
    };
    lanes_rd(kAffRdEn, kLAddr, kAffRdData, EdgeMemId::kAff, m.a_ff);
    lanes_rd(kAupRdEn, kLAddr, kAupRdData, EdgeMemId::kAup, m.a_up);
    lanes_rd(kSpRdEn, kLAddr, kSpRdData, EdgeMemId::kSp, m.sp);
    lanes_rd(kPdRdEn, kPdRdAddr, kPdRdData, EdgeMemId::kPd, m.pd);
    if (get(kDrRdEn)) {
      const int64_t row = get(kDrRdRow);
      for (int64_t g = 0; g < groups; ++g) {
        ev.push_back({c, EdgeMemId::kDr, false, g, row});
        set(kDrRdData, m.dr.at(row * groups + g), static_cast<int>(g));
      }
    }
    api_.eval(model_);
    // this clock's writes, applied at its end
    writes.clear();
    if (get(kWWrEn)) {
      const int64_t row = get(kWWrRow);
      ev.push_back({c, EdgeMemId::kW, true, 0, row});
      for (int64_t t = 0; t < b.z; ++t) writes.push_back({&m.w, row * b.z + t, get(kWWrData, static_cast<int>(t))});
    }
    if (get(kPdWrEn))
      for (int64_t t = 0; t < b.z; ++t) {
        const int64_t row = get(kPdWrAddr, static_cast<int>(t));
        ev.push_back({c, EdgeMemId::kPd, true, t, row});
        writes.push_back({&m.pd, row * b.z + t, get(kPdWrData, static_cast<int>(t))});
      }
    if (get(kOutWrEn)) {
      const int64_t row = get(kOutWrRow);
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t n = row * groups + g;
        ev.push_back({c, EdgeMemId::kOut, true, g, row});
        writes.push_back({&m.out_a, n, get(kOutAct, static_cast<int>(g))});
        writes.push_back({&m.out_sp, n, get(kOutSp, static_cast<int>(g))});
        if (b.last) writes.push_back({&m.out_delta, n, get(kOutDelta, static_cast<int>(g))});
      }
    }
    tick();
    for (const Write& w : writes) w.mem->at(static_cast<size_t>(w.n)) = w.v;
  }
  *clocks = c;
  std::sort(ev.begin(), ev.end());
  return ev;
}

}  // namespace systrain
