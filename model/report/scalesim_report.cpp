#include "scalesim_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "interrupt.h"

namespace systrain {

namespace {

// a real as Python's str() writes it (SCALE-Sim's files): the shortest
// repr, with ".0" on a whole number
std::string py(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".einf") == std::string::npos) s += ".0";
  return s;
}

struct Roles {
  std::vector<Operand> ifmap, filter;
};

// which of the pass's operands SCALE-Sim's IFMAP and FILTER stand for
Roles roles_of(const std::string& op) {
  const std::string base = op.rfind("spec_", 0) == 0 ? op.substr(5) : op;
  if (base == "wg") return {{Operand::kX}, {Operand::kDy}};
  if (base == "ag") return {{Operand::kDy}, {Operand::kW}};
  if (base == "il") return {{Operand::kDy, Operand::kX}, {Operand::kW}};
  return {{Operand::kX}, {Operand::kW}};  // forward
}

struct Span {
  int64_t start = -1, stop = -1, words = 0;
  void add(int64_t first, int64_t last, int64_t n) {
    words += n;
    if (first >= 0) start = start < 0 ? first : std::min(start, first);
    if (last >= 0) stop = std::max(stop, last);
  }
  int64_t s() const { return std::max<int64_t>(start, 0); }
  int64_t e() const { return std::max<int64_t>(stop, 0); }
  double bw() const { return stop >= 0 ? static_cast<double>(words) / static_cast<double>(stop - start + 1) : 0.0; }
};

}  // namespace

ScalesimReports scalesim_reports(const RunResult& r) {
  ScalesimReports out;
  const std::string pass_col = r.training ? " Pass," : "";
  out.compute = "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %," + pass_col + "\n";
  out.bandwidth = "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, "
                  "Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW," + pass_col + "\n";
  out.detail = "LayerID, "
               "SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
               "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
               "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
               "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
               "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
               "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes," + pass_col + "\n";
  const double arrays = r.spec.ran && r.spec.engines == "dual" ? 2.0 : 1.0;
  const double pes = static_cast<double>(r.rows) * r.cols;
  // a vector-unit op's DRAM transfers (the input and weights a layer's im2col
  // waited for) count with the first array pass of its GEMM layer and stage
  std::map<std::pair<int, int>, const OpStats*> first_pass;
  for (const OpStats& o : r.ops)
    if (o.tiles > 0) first_pass.try_emplace({o.gemm_layer, o.stage}, &o);
  std::map<const OpStats*, DramCounts> dram;
  for (const OpStats& o : r.ops) {
    const auto it = first_pass.find({o.gemm_layer, o.stage});
    const OpStats* to = o.tiles > 0 ? &o : it != first_pass.end() ? it->second : nullptr;
    if (!to) continue;
    auto [d, added] = dram.try_emplace(to);
    if (added) d->second.no_spans();
    DramCounts& a = d->second;
    for (int x = 0; x < int(Operand::kCount); ++x) {
      a.reads[x] += o.dram.reads[x];
      a.writes[x] += o.dram.writes[x];
      for (auto [f, l, of, ol] : {std::tuple{&a.read_first, &a.read_last, &o.dram.read_first, &o.dram.read_last},
                                  std::tuple{&a.write_first, &a.write_last, &o.dram.write_first, &o.dram.write_last}}) {
        if ((*of)[x] >= 0) (*f)[x] = (*f)[x] < 0 ? (*of)[x] : std::min((*f)[x], (*of)[x]);
        (*l)[x] = std::max((*l)[x], (*ol)[x]);
      }
    }
  }
  int64_t seen = 0;
  for (const OpStats& o : r.ops) {
    if ((++seen & 4095) == 0 && g_interrupted.load(std::memory_order_relaxed)) break;
    if (o.tiles == 0) continue;  // vector-unit work: SCALE-Sim has no row for it
    const std::string id = std::to_string(o.layer);
    const std::string tail = r.training ? fmt::format(" {},", o.op) : "";
    const int64_t total = o.cycles + o.dram_wait_cycles;
    const int64_t stall = o.dram_wait_cycles + o.bandwidth_stall_cycles;
    const double tiles = static_cast<double>(o.tiles);
    const double util = total > 0 ? static_cast<double>(o.macs) * 100.0 / (static_cast<double>(total) * pes * arrays) : 0.0;
    out.compute += fmt::format("{}, {}, {}, {}, {}, {},{}\n", id, total, stall, py(util),
                               py(static_cast<double>(o.mapped_pes) * 100.0 / (tiles * pes)),
                               py(o.tile_utilization * 100.0 / tiles), tail);

    const Roles roles = roles_of(o.op);
    int64_t ifmap_reads = 0, filter_reads = 0;
    for (Operand x : roles.ifmap) ifmap_reads += o.sram.operand_reads(x);
    for (Operand x : roles.filter) filter_reads += o.sram.operand_reads(x);
    const int64_t ofmap_writes = o.sram.total_writes();
    // SRAM: the pass's own span, for each role it touches
    auto sram_span = [&](int64_t words) {
      return words > 0 ? fmt::format("{}, {}, {}", o.first_cycle, o.last_cycle, words) : std::string("0, 0, 0");
    };
    Span di, df, dofm;
    const DramCounts& d = dram.at(&o);
    for (Operand x : {Operand::kX, Operand::kDy, Operand::kY})
      di.add(d.read_first[int(x)], d.read_last[int(x)], d.reads[int(x)]);
    for (Operand x : {Operand::kW, Operand::kDw}) df.add(d.read_first[int(x)], d.read_last[int(x)], d.reads[int(x)]);
    for (int x = 0; x < int(Operand::kCount); ++x) dofm.add(d.write_first[x], d.write_last[x], d.writes[x]);
    const double t = total > 0 ? static_cast<double>(total) : 1.0;
    out.bandwidth += fmt::format("{}, {}, {}, {}, {}, {}, {},{}\n", id, py(static_cast<double>(ifmap_reads) / t),
                                 py(static_cast<double>(filter_reads) / t), py(static_cast<double>(ofmap_writes) / t),
                                 py(di.bw()), py(df.bw()), py(dofm.bw()), tail);
    out.detail += fmt::format("{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {},{}\n", id, sram_span(ifmap_reads),
                              sram_span(filter_reads), sram_span(ofmap_writes), di.s(), di.e(), di.words, df.s(), df.e(),
                              df.words, fmt::format("{}, {}, {}", dofm.s(), dofm.e(), dofm.words), tail);
  }
  return out;
}

}  // namespace systrain
