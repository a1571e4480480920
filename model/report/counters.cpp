#include "counters.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include "config_detail.h"
#include "config_schema.h"
#include "interrupt.h"
#include "report.h"

namespace systrain {

using config_detail::json_str;

void Counters::add(std::string path, CounterValue v, unsigned show) {
  const bool scalar = std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v) ||
                      std::holds_alternative<bool>(v);
  items_.push_back({std::move(path), std::move(v), !(show & kNotInCsv) && scalar, show});
}

std::optional<double> Counters::number(const std::string& path) const {
  for (const auto& c : items_)
    if (c.path == path) {
      if (auto* i = std::get_if<int64_t>(&c.value)) return static_cast<double>(*i);
      if (auto* d = std::get_if<double>(&c.value)) return *d;
    }
  return std::nullopt;
}

namespace {

void add_access(Counters& c, const std::string& p, const AccessCounts& a, unsigned totals = kReportOnly,
                unsigned by_operand = kReportOnly) {
  c.add(p + ".reads", a.total_reads(), totals);
  c.add(p + ".writes", a.total_writes(), totals);
  for (int o = 0; o < int(Operand::kCount); ++o) {
    c.add(fmt::format("{}.by_operand.{}.reads", p, to_string(Operand(o))), a.operand_reads(Operand(o)), by_operand);
    c.add(fmt::format("{}.by_operand.{}.writes", p, to_string(Operand(o))), a.operand_writes(Operand(o)), by_operand);
  }
}

}  // namespace

Counters counters_of(const Config& cfg, const RunResult& r) {
  Counters c;
  const ReportDetail detail = cfg.simulation.report_detail;
  const size_t n_layers = detail == ReportDetail::kTotals ? 0 : r.layers.size();
  const size_t n_ops = detail == ReportDetail::kFull ? r.ops.size() : 0;
  c.reserve(600 + 80 * n_ops + 40 * n_layers);  // about what each takes
  const Energy e = energy_of(cfg, r);
  c.add("systrain_version", std::string(SYSTRAIN_VERSION));
  c.add("name", cfg.name);
  c.add("config", Raw{config_to_json(cfg, 1)});
  c.add("backend", r.backend);
  c.add("schedule", r.schedule);
  c.add("array.rows", int64_t{r.rows});
  c.add("array.cols", int64_t{r.cols});
  if (r.edge.ran) {  // the edge trainer (model/edge/edge_shape.h)
    c.add("edge.junctions", int64_t{r.edge.junctions});
    c.add("edge.rows", r.edge.rows);
    c.add("edge.clocks_a_block", r.edge.cpc);
    c.add("edge.latency_blocks", r.edge.latency_blocks);
    c.add("edge.blocks", r.edge.blocks);
    c.add("edge.multipliers", r.edge.multipliers);
    c.add("edge.weight_reads_separate", r.edge.weight_reads_separate);
  }
  c.add("cycles.total", r.cycles_total, kCompare | kSweep);
  c.add("cycles.forward", r.cycles_forward, kCompare | kSweep);
  c.add("cycles.backward", r.cycles_backward, kCompare | kSweep);
  c.add("cycles.update", r.cycles_update, kCompare | kSweep);
  c.add("cycles.stall", r.cycles_stall, kCompare | kSweep);
  c.add("cycles.overlap", r.cycles_overlap, kCompareIfMoved | kSweep);
  c.add("cycles.drain", r.cycles_drain);
  c.add("cycles.bandwidth_stall", r.cycles_bandwidth_stall, kCompareIfMoved | kSweep);
  c.add("simulated_seconds", static_cast<double>(r.cycles_total) / (cfg.accelerator.clock_mhz * 1e6));
  c.add("macs", r.macs, kCompare | kSweep);
  c.add("tiles", r.tiles);
  c.add("utilization", utilization_of(r), kCompare | kSweep);
  add_access(c, "memory.sram", r.sram, kCompare | kSweep, kCompareIfMoved);
  for (int b = 0; b < int(Buffer::kCount); ++b) {
    c.add(fmt::format("memory.sram.by_buffer.{}.reads", to_string(Buffer(b))), r.sram.buffer_reads(Buffer(b)));
    c.add(fmt::format("memory.sram.by_buffer.{}.writes", to_string(Buffer(b))), r.sram.buffer_writes(Buffer(b)));
  }
  c.add("memory.dram.reads", r.dram.total_reads(), kCompare | kSweep);
  c.add("memory.dram.writes", r.dram.total_writes(), kCompare | kSweep);
  for (int o = 0; o < int(Operand::kCount); ++o) {
    c.add(fmt::format("memory.dram.by_operand.{}.reads", to_string(Operand(o))), r.dram.reads[o], kCompareIfMoved);
    c.add(fmt::format("memory.dram.by_operand.{}.writes", to_string(Operand(o))), r.dram.writes[o], kCompareIfMoved);
  }
  // the run's energy: its total always in compare, the levels when moved; by
  // phase, the totals when moved
  auto add_energy = [&](const std::string& p, const Energy& en, unsigned total, unsigned levels) {
    c.add(p + ".total", en.total(), total);
    c.add(p + ".mac", en.mac, levels);
    c.add(p + ".sram", en.sram());
    for (int b = 0; b < int(Buffer::kCount); ++b)
      c.add(fmt::format("{}.sram_by_buffer.{}", p, to_string(Buffer(b))), en.sram_buffer[b], levels);
    c.add(p + ".dram", en.dram, levels);
    c.add(p + ".vector", en.vector, levels);
  };
  add_energy("energy_pj", e, kCompare | kSweep, kCompareIfMoved);
  for (int st = 0; st < 3; ++st) {
    const std::string p = fmt::format("memory.by_phase.{}", st == 0 ? "forward" : st == 1 ? "backward" : "update");
    c.add(p + ".sram.reads", r.stages[st].sram.total_reads());
    c.add(p + ".sram.writes", r.stages[st].sram.total_writes());
    c.add(p + ".dram.reads", r.stages[st].dram.total_reads());
    c.add(p + ".dram.writes", r.stages[st].dram.total_writes());
  }
  c.add("vector_elements", r.vector_elements);
  c.add("footprint.weight_words", r.weight_words);
  c.add("footprint.input_words_per_sample", r.input_words);
  c.add("footprint.stash_words_per_sample", r.stash_words);
  for (int st = 0; st < 3; ++st)
    add_energy(fmt::format("energy_pj.by_phase.{}", st == 0 ? "forward" : st == 1 ? "backward" : "update"),
               energy_of(cfg, r.stages[st]), kCompareIfMoved, kReportOnly);
  c.add("training.steps", r.steps);
  c.add("training.samples", r.samples);
  c.add("training.epochs", static_cast<int64_t>(r.epoch_cycles.size()));
  c.add("training.test_accuracy", r.test_accuracy);
  c.add("training.train_loss", r.train_loss);
  c.add("training.train_accuracy", r.train_accuracy);
  std::vector<double> ends(r.epoch_cycles.begin(), r.epoch_cycles.end());
  c.add("training.epoch_end_cycles", ends);
  if (!r.test_accuracy.empty())
    c.add("training.final_test_accuracy", r.test_accuracy.back(), kCompareIfMoved | kSweep);
  if (!r.train_loss.empty()) c.add("training.final_train_loss", r.train_loss.back(), kCompareIfMoved | kSweep);
  if (!r.train_accuracy.empty()) c.add("training.final_train_accuracy", r.train_accuracy.back(), kCompareIfMoved);
  if (r.weights_fnv1a) c.add("training.final_weights_fnv1a", fmt::format("{:016x}", *r.weights_fnv1a));
  // the same per epoch as CSV rows (compare and sweep read those)
  for (size_t e = 0; e < r.test_accuracy.size(); ++e) {
    c.add(fmt::format("training.by_epoch.{}.test_accuracy", e), r.test_accuracy[e]);
    c.add(fmt::format("training.by_epoch.{}.train_loss", e), r.train_loss[e]);
    if (e < r.spec.hit_rate.size()) c.add(fmt::format("training.by_epoch.{}.hit_rate", e), r.spec.hit_rate[e]);
  }
  if (!r.training) {
    if (r.accuracy) c.add("inference.accuracy", *r.accuracy);
    else c.add("inference.accuracy", std::monostate{});
    c.add("inference.weights", std::string("untrained (Glorot-uniform from training.seed)"));
  }
  const SpecStats& sp = r.spec;
  c.add("speculation.hits", sp.hits, kCompareIfMoved | kSweep);
  c.add("speculation.misses", sp.misses, kCompareIfMoved | kSweep);
  c.add("speculation.ran", sp.ran);
  if (sp.ran) {
    c.add("speculation.policy", sp.policy);
    c.add("speculation.engines", sp.engines);
    c.add("speculation.forward_cols", int64_t{sp.forward_cols});
    c.add("speculation.backward_cols", int64_t{sp.backward_cols});
    c.add("speculation.hit_rate",
          sp.hits + sp.misses > 0 ? static_cast<double>(sp.hits) / static_cast<double>(sp.hits + sp.misses) : 0.0,
          kCompareIfMoved);
    c.add("speculation.table_words", sp.table_words);
    c.add("speculation.table_in", std::string(sp.table_in_sram ? "sram" : "dram"));
    c.add("speculation.dw_spills", sp.dw_spills);
    c.add("speculation.cycles_saved", sp.skipped_cycles, kCompareIfMoved);
    c.add("speculation.reuse_cycles", sp.reuse_cycles, kCompareIfMoved);
    c.add("speculation.words_saved", sp.skipped_words, kCompareIfMoved);
    c.add("speculation.reuse_words", sp.reuse_words, kCompareIfMoved);
    c.add("speculation.recompute_cycles", sp.recompute_cycles, kCompareIfMoved);
    c.add("speculation.barrier_wait_cycles.forward", sp.barrier_wait_cycles[0]);
    c.add("speculation.barrier_wait_cycles.backward", sp.barrier_wait_cycles[1]);
  }
  c.add("cosim.ran", r.cosim);
  c.add("cosim.tlm_cycles", r.cosim_tlm_cycles);
  c.add("cosim.rtl_cycles", r.cosim_rtl_cycles);
  c.add("cosim.mismatches", r.cosim_mismatches);
  c.add("cosim.events_compared", r.cosim_events_compared);
  c.add("cosim.words_compared", r.cosim_words_compared);
  c.add("warnings", r.warnings);
  for (size_t i = 0; i < n_layers; ++i) {
    if ((i & 1023) == 1023 && g_interrupted.load(std::memory_order_relaxed)) break;  // the caller writes nothing
    const auto& l = r.layers[i];
    const std::string p = fmt::format("layers.{}", i);
    c.add(p + ".index", int64_t{l.index});
    c.add(p + ".type", l.type);
    c.add(p + ".gemm_index", l.gemm_index >= 0 ? CounterValue(int64_t{l.gemm_index}) : CounterValue(std::monostate{}));
    c.add(p + ".gemm.m", l.gemm.m);
    c.add(p + ".gemm.k", l.gemm.k);
    c.add(p + ".gemm.n", l.gemm.n);
    c.add(p + ".dataflow", l.dataflow.empty() ? CounterValue(std::monostate{}) : CounterValue(l.dataflow));
    if (!l.dataflow_choice.empty()) c.add(p + ".dataflow_choice", l.dataflow_choice);
    c.add(p + ".tiles", l.tiles);
    c.add(p + ".cycles", l.cycles);
    c.add(p + ".stall_cycles", l.stall_cycles);
    c.add(p + ".bandwidth_stall_cycles", l.bandwidth_stall_cycles);
    c.add(p + ".macs", l.macs);
    for (int ph = int(Phase::kLoad); ph < int(Phase::kCount); ++ph)
      c.add(fmt::format("{}.phase_cycles.{}", p, to_string(Phase(ph))), l.phase_cycles[ph]);
    add_access(c, p + ".sram", l.sram);
  }
  for (size_t i = 0; i < n_ops; ++i) {
    if ((i & 1023) == 1023 && g_interrupted.load(std::memory_order_relaxed)) break;
    const auto& o = r.ops[i];
    const std::string p = fmt::format("ops.{}", i);
    c.add(p + ".layer", int64_t{o.layer});
    c.add(p + ".gemm_layer", int64_t{o.gemm_layer});
    static const char* const kStage[] = {"forward", "backward", "update"};  // Stage (model/train/schedule.h)
    c.add(p + ".stage", std::string(o.stage >= 0 && o.stage < 3 ? kStage[o.stage] : "?"));
    c.add(p + ".op", o.op);
#define SYSTRAIN_OP_COUNTER(name, unit, help) c.add(p + "." #name, o.name);
    SYSTRAIN_OP_COUNTERS(SYSTRAIN_OP_COUNTER)
#undef SYSTRAIN_OP_COUNTER
    for (int ph = int(Phase::kLoad); ph < int(Phase::kCount); ++ph)
      c.add(fmt::format("{}.phase_cycles.{}", p, to_string(Phase(ph))), o.phase_cycles[ph]);
    add_access(c, p + ".sram", o.sram);
  }
  // wall-clock figures: the only ones that differ between identical runs
  c.add("host.wall_seconds", std::stod(fmt::format("{:.3f}", r.wall_seconds)), kNotInCsv);
  c.add("host.simulated_cycles_per_second",
        std::stod(fmt::format("{:.0f}", r.wall_seconds > 0 ? static_cast<double>(r.cycles_total) / r.wall_seconds : 0.0)),
        kNotInCsv);
  return c;
}

namespace {
// a run with every counter compare and sweep may show: training, speculation
const Counters& declared() {
  static const Counters c = [] {
    RunResult r;
    r.training = true;
    r.spec.ran = true;
    r.test_accuracy = r.train_loss = r.train_accuracy = {0.0};
    return counters_of(Config{}, r);
  }();
  return c;
}
}  // namespace

std::vector<std::pair<std::string, bool>> compare_rows() {
  std::vector<std::pair<std::string, bool>> rows;
  for (const Counter& c : declared().all())
    if (c.show & (kCompare | kCompareIfMoved)) rows.emplace_back(c.path, !(c.show & kCompare));
  return rows;
}

std::vector<std::string> sweep_columns() {
  std::vector<std::string> cols;
  for (const Counter& c : declared().all())
    if (c.show & kSweep) cols.push_back(c.path);
  return cols;
}

namespace {

// a counter's value as JSON, appended to `o`
void append_scalar(std::string& o, const CounterValue& v) {
  struct V {
    std::string& o;
    void operator()(int64_t x) const { fmt::format_to(std::back_inserter(o), "{}", x); }
    // JSON has no NaN or infinity: a value that is not finite is null
    void operator()(double x) const {
      if (std::isfinite(x)) fmt::format_to(std::back_inserter(o), "{}", x);
      else o += "null";
    }
    void operator()(bool x) const { o += x ? "true" : "false"; }
    void operator()(const std::string& x) const { o += json_str(x); }
    void operator()(const std::vector<double>& x) const {
      o += '[';
      for (size_t i = 0; i < x.size(); ++i) {
        if (i) o += ", ";
        (*this)(x[i]);
      }
      o += ']';
    }
    void operator()(const std::vector<std::string>& x) const {
      o += '[';
      for (size_t i = 0; i < x.size(); ++i) {
        if (i) o += ", ";
        o += json_str(x[i]);
      }
      o += ']';
    }
    void operator()(std::monostate) const { o += "null"; }
    void operator()(const Raw& x) const { o += x.json; }
  };
  std::visit(V{o}, v);
}

// a key as a JSON string: most need no escaping
void append_key(std::string& o, std::string_view k) {
  const bool plain = std::all_of(k.begin(), k.end(), [](char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x80;
  });
  if (plain) {
    o += '"';
    o += k;
    o += '"';
  } else {
    o += json_str(std::string(k));
  }
}

// whether k is the decimal of g
bool is_index(std::string_view k, size_t g) {
  char buf[24];
  const auto r = fmt::format_to_n(buf, sizeof buf, "{}", g);
  return k == std::string_view(buf, r.size);
}

// report.json written straight from the counters, without a tree of nodes (a
// 100,000-layer topology's tree took gigabytes). A node is the list of
// counters that share the path components before the current depth; pos[i] is
// where counter i's component at that depth starts. Its children come in the
// order their keys first appear, as the counters were declared.
class JsonWriter {
  static constexpr size_t kScan = 8;  // siblings found by a scan; more by a map

 public:
  explicit JsonWriter(const std::vector<Counter>& items) : items_(items), pos_(items.size(), 0) {}

  std::string run() {
    out_.reserve(items_.size() * 28);  // about what a counter takes: no regrowth of a 100 MB string
    std::vector<uint32_t> all(items_.size());
    for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
    if (!all.empty()) node(all, "");
    return std::move(out_) + "\n";
  }

 private:
  struct Group {
    std::string_view key;
    std::vector<uint32_t> items;
    bool leaf = false;  // the key is the last component of its one counter
  };

  std::string_view key_at(uint32_t i, bool* last) const {
    const std::string& p = items_[i].path;
    const size_t dot = p.find('.', pos_[i]);
    *last = dot == std::string::npos;
    return std::string_view(p).substr(pos_[i], *last ? std::string::npos : dot - pos_[i]);
  }

  void node(const std::vector<uint32_t>& items, const std::string& pad) {
    std::vector<Group> kids;
    std::unordered_map<std::string_view, size_t> where;
    for (uint32_t i : items) {
      if ((++seen_ & 4095) == 0 && g_interrupted.load(std::memory_order_relaxed)) stopped_ = true;
      if (stopped_) return;
      bool last = false;
      const std::string_view k = key_at(i, &last);
      // most counters follow one of their own object: no lookup for them; a
      // few siblings are scanned, many looked up
      size_t g = !kids.empty() && kids.back().key == k ? kids.size() - 1 : kids.size();
      if (g == kids.size() && kids.size() <= kScan) {
        for (size_t j = 0; j < kids.size(); ++j)
          if (kids[j].key == k) g = j;
        if (g == kids.size()) kids.push_back({k, {}, last});
        if (kids.size() > kScan)  // from here on, by the map
          for (size_t j = 0; j < kids.size(); ++j) where.emplace(kids[j].key, j);
      } else if (g == kids.size()) {
        const auto [it, added] = where.try_emplace(k, kids.size());
        g = it->second;
        if (added) kids.push_back({k, {}, last});
      }
      if (kids[g].leaf || last)  // "a" and "a.b" both: a programming error in counters_of
        if (!kids[g].items.empty() || !kids[g].leaf)
          throw std::logic_error(fmt::format("report counter {}: a value and an object at once", items_[i].path));
      kids[g].items.push_back(i);
    }
    bool list = true, flat = true;
    for (size_t g = 0; g < kids.size(); ++g) {
      list = list && is_index(kids[g].key, g);
      flat = flat && kids[g].leaf && !std::holds_alternative<Raw>(items_[kids[g].items[0]].value);
    }
    where.clear();
    out_ += list ? '[' : '{';
    for (size_t g = 0; g < kids.size(); ++g) {
      Group& kid = kids[g];
      if (g) out_ += ',';
      if (flat) {
        if (g) out_ += ' ';
      } else {
        out_ += '\n';
        out_ += pad;
        out_ += "  ";
      }
      if (!list) {
        append_key(out_, kid.key);
        out_ += ": ";
      }
      if (kid.leaf) {
        append_scalar(out_, items_[kid.items[0]].value);
        continue;
      }
      for (uint32_t i : kid.items) pos_[i] += kid.key.size() + 1;
      node(kid.items, pad + "  ");
      std::vector<uint32_t>().swap(kid.items);  // done with: the next sibling's memory
    }
    if (!flat && !kids.empty()) {
      out_ += '\n';
      out_ += pad;
    }
    out_ += list ? ']' : '}';
  }

  const std::vector<Counter>& items_;
  std::vector<size_t> pos_;
  std::string out_;
  size_t seen_ = 0;
  // a signal came: the walk ends at once (no exception: thrown on the main
  // thread after the SystemC coroutines ran, one trips AddressSanitizer's
  // stack bookkeeping), and the caller writes nothing
  bool stopped_ = false;
};

}  // namespace

std::string counters_json(const Counters& c) { return JsonWriter(c.all()).run(); }

std::string counters_csv(const Counters& c) {
  std::string s = "counter,value\n";
  s.reserve(c.all().size() * 40);
  size_t n = 0;
  for (const auto& item : c.all()) {
    if ((++n & 4095) == 0 && g_interrupted.load(std::memory_order_relaxed)) break;
    if (!item.in_csv) continue;
    s += item.path;
    s += ',';
    append_scalar(s, item.value);
    s += '\n';
  }
  return s;
}

}  // namespace systrain
