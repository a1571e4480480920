#include "op_executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "array_model.h"
#include "pass.h"
#include "pass_values.h"
#include "samples.h"
#include "speculation.h"
#include "vector_unit.h"

namespace systrain {

namespace {
int64_t intersection(const std::vector<std::pair<int64_t, int64_t>>& a,
                     const std::vector<std::pair<int64_t, int64_t>>& b) {
  int64_t total = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t lo = std::max(a[i].first, b[j].first), hi = std::min(a[i].second, b[j].second);
    if (hi > lo) total += hi - lo;
    if (a[i].second < b[j].second) ++i;
    else ++j;
  }
  return total;
}
}  // namespace

OpExecutor::OpExecutor(RunContext& ctx, std::vector<EngineSetup> engines, StepObserver* observer)
    : ctx_(ctx), observer_(observer) {
  const bool dual = ctx.cfg.schedule.speculation.engines == Engines::kDual;
  for (size_t e = 0; e < engines.size(); ++e) {
    EngineState s;
    s.memory = engines[e].memory;
    s.shape = engines[e].shape;
    s.vector_unit = dual ? static_cast<int>(e) : 0;
    eng_.push_back(std::move(s));
  }
  vector_free_.assign(dual ? engines.size() : 1, 0);
}

int64_t OpExecutor::idle_to(int e, int64_t cycle) {
  EngineState& en = eng_[e];
  if (cycle <= en.cycle) return 0;
  backend_idle(e, cycle);
  const int64_t waited = cycle - en.cycle;
  if (engines() == 1) ctx_.result.cycles_stall += waited;  // with two engines, derived at the end
  en.cycle = cycle;
  return waited;
}

void OpExecutor::wait_until(int e, int64_t cycle, Wait why) {
  const int64_t waited = idle_to(e, cycle);
  if (why == Wait::kDram) eng_[e].dram_wait += waited;
}

void OpExecutor::mark_busy(int e, int64_t from, int64_t to) {
  if (engines() == 1 || to <= from) return;
  auto& busy = eng_[e].busy;
  if (!busy.empty() && busy.back().second == from) busy.back().second = to;
  else busy.emplace_back(from, to);
}

OpStats& OpExecutor::op_stats(const StepOp& op, int layer, const std::string& name) {
  // by config layer and name, looked up by index: a scan of result.ops made a
  // 100,000-layer topology quadratic
  auto& ops = ctx_.result.ops;
  const auto [it, added] = op_index_.try_emplace({layer, name}, ops.size());
  if (added) {
    ops.push_back({});
    ops.back().layer = layer;
    ops.back().gemm_layer = op.layer;
    ops.back().stage = int(op.stage);
    ops.back().op = name;
  }
  return ops[it->second];
}

void OpExecutor::take_dram(int stage, OpStats* os) {
  // the transfers issued since the last op: for the op that waited for them
  // or whose end issued them (SCALE-Sim's report files)
  if (os) {
    const DramCounts recent = ctx_.dram.take_recent();
    for (int o = 0; o < int(Operand::kCount); ++o) {
      os->dram.reads[o] += recent.reads[o];
      os->dram.writes[o] += recent.writes[o];
      if (recent.read_first[o] >= 0 && os->dram.read_first[o] < 0) os->dram.read_first[o] = recent.read_first[o];
      if (recent.write_first[o] >= 0 && os->dram.write_first[o] < 0) os->dram.write_first[o] = recent.write_first[o];
      os->dram.read_last[o] = std::max(os->dram.read_last[o], recent.read_last[o]);
      os->dram.write_last[o] = std::max(os->dram.write_last[o], recent.write_last[o]);
    }
    last_op_ = os;
  }
  const DramCounts& now = ctx_.dram.counts();
  auto& d = ctx_.result.stages[stage].dram;
  for (int o = 0; o < int(Operand::kCount); ++o) {
    d.reads[o] += now.reads[o] - dram_seen_.reads[o];
    d.writes[o] += now.writes[o] - dram_seen_.writes[o];
  }
  dram_seen_ = now;
  last_stage_ = stage;
}

int64_t OpExecutor::finish() {
  take_dram(last_stage_, last_op_);
  const int64_t drain = eng_[0].dram_wait;
  eng_[0].dram_wait = 0;
  return drain;
}

OpOutcome OpExecutor::run(int e, const StepOp& op, int64_t ready, const Then& then) {
  EngineState& en = eng_[e];
  RunResult& r = ctx_.result;
  // the op's record first: two engines list their ops in the order they begin
  en.op_name = op.name();
  const int layer = op.config_layer(ctx_.w);  // the config's layer it works for
  OpStats& os = op_stats(op, layer, en.op_name);
  Memory& mem = *en.memory;
  const AccessCounts before = mem.counts();
  en.dram_wait += idle_to(e, ready);
  const int64_t waited = en.dram_wait;
  en.dram_wait = 0;
  const int64_t t0 = en.cycle;
  // the forward work of a layer: its prep stages and its pass
  LayerStats* ls = op.stage == Stage::kForward ? &r.layers[layer] : nullptr;
  if (ls) ls->stall_cycles += waited;
  OpOutcome out;
  int64_t dram_inside = 0, engine_inside = 0;
  if (op.array) {
    run_pass(e, op, os, ls);
    if (ls) {
      if (ls->gemm.m == 0) ls->gemm = op.pass.g;
      if (ls->dataflow.empty()) {
        ls->dataflow = to_string(op.pass.mode);
        const auto& c = op.pass.auto_cycles;
        if (c[0] >= 0)
          ls->dataflow_choice = fmt::format("auto chose {}: the fewest cycles by the closed forms, SRAM stalls included (ws {}, os {}, is {}; "
                                            "a step of {} rows)",
                                            to_string(op.pass.mode), c[0], c[1], c[2], op.pass.g.m);
      }
      ls->macs += pass_macs(op.pass);
    }
  } else {
    out = run_vector_op(e, op, os, dram_inside, engine_inside);
  }
  if (ls) ls->cycles += en.cycle - t0;
  out.cycles = en.cycle - t0 - dram_inside - engine_inside;
  os.count++;
  os.cycles += out.cycles;
  os.dram_wait_cycles += waited + dram_inside;
  os.engine_wait_cycles += engine_inside;
  if (then) then(en.cycle);
  take_dram(int(op.stage), &os);
  if (os.first_cycle < 0) os.first_cycle = t0;
  os.last_cycle = std::max(os.last_cycle, en.cycle);
  const AccessCounts d = mem.counts() - before;
  os.sram += d;
  r.stages[int(op.stage)].sram += d;
  if (op.array && ls) ls->sram += d;
  // a masked network: the words off the mask stay 0 after every update (the array computed them dense)
  if (!ctx_.keep.empty() && ctx_.functional() &&
      ((op.array && op.pass.mode == Mode::kIl) ||
       (!op.array && (op.vector == VectorKind::kUpdate || op.vector == VectorKind::kReuseUpdate))))
    ctx_.mask_weights(mem.buffer(Buffer::kWeights), op.layer);
  if (observer_) observer_->after_op(en.step, op, mem);
  return out;
}

const PassTiming& OpExecutor::pass_timing_of(int e, const Pass& p) {
  // what a pass's timing depends on: its mode and shape, and where its
  // operands are (their buffers, strides, and base addresses modulo the
  // banks; nothing without banks)
  const ArrayShape& a = eng_[e].shape;
  PassKey key{e, int(p.mode), p.g.m, p.g.k, p.g.n, p.dx_rows, p.ag};
  size_t k = 7;
  for (const Mat* m : {&p.a, &p.b, &p.w, &p.psum, &p.out}) {
    key[k++] = int(m->op) * int(Buffer::kCount) + int(m->buf);
    key[k++] = a.banks > 0 ? m->base % a.banks : 0;
    key[k++] = m->rs, key[k++] = m->cs;
  }
  auto it = timing_.find(key);
  if (it == timing_.end()) it = timing_.emplace(key, pass_timing(p, a, engines() > 1)).first;
  return it->second;
}

void OpExecutor::run_pass(int e, const StepOp& op, OpStats& os, LayerStats* ls) {
  EngineState& en = eng_[e];
  RunResult& r = ctx_.result;
  stop_if_interrupted();
  const int64_t c0 = en.cycle;
  PassTiming each;
  const PassTiming* pt = nullptr;
  if (ctx_.cfg.simulation.tile_classes) {
    // the pass in closed form, its words counted at once, its values (if
    // any) as one GEMM
    const PassTiming& t = pass_timing_of(e, op.pass);
    if (backend_tiles(e, t)) {
      pt = &t;
      if (ctx_.functional()) pass_values(op.pass, *en.memory, ctx_.num, ctx_.lr());
      en.memory->count(t.sram);
      en.cycle += t.cycles;
    }
  }
  if (!pt) {  // tile by tile through the backend, which moves the words
    for (const Tile& t : tile_pass(op.pass, en.shape)) {
      stop_if_interrupted();
      const TileRun& run = backend_tile(e, t);
      en.cycle += run.cycles;
      each.add(t, run.cycles, run.stall_cycles, run.phase_cycles);
    }
    pt = &each;
  }
  mark_busy(e, c0, en.cycle);
  const PassTiming& t = *pt;
  os.mapped_pes += t.mapped_pes;
  os.tile_utilization += t.utilization(en.shape);
  r.cycles_bandwidth_stall += t.stall_cycles;
  os.bandwidth_stall_cycles += t.stall_cycles;
  if (ls) ls->bandwidth_stall_cycles += t.stall_cycles;
  for (int p = 0; p < int(Phase::kCount); ++p) {
    os.phase_cycles[p] += t.phase_cycles[p];
    if (ls) ls->phase_cycles[p] += t.phase_cycles[p];
  }
  // an interleaved tile's update and write-back count as update cycles
  const int64_t upd = t.phase_cycles[int(Phase::kUpdate)] + t.phase_cycles[int(Phase::kWriteback)];
  if (op.stage == Stage::kForward) r.cycles_forward += t.cycles;
  else r.cycles_backward += t.cycles - upd, r.cycles_update += upd;
  os.tiles += t.tiles;
  if (ls) ls->tiles += t.tiles;
  os.macs += pass_macs(op.pass);
  r.stages[int(op.stage)].macs += pass_macs(op.pass);
  if (os.count == 0) os.gemm = op.pass.g;
}

OpOutcome OpExecutor::run_vector_op(int e, const StepOp& op, OpStats& os, int64_t& dram_wait, int64_t& engine_wait) {
  EngineState& en = eng_[e];
  RunResult& r = ctx_.result;
  const Config& cfg = ctx_.cfg;
  Memory& mem = *en.memory;
  const AccessCounts before = mem.counts();
  SpecOpStats st;
  if (is_speculative(op.vector)) {
    st = run_speculative(op, mem, ctx_.w, ctx_.num, ctx_.sn, ctx_.lr(), ctx_.functional());
    // the table's words: in the gradients buffer, or read from DRAM first
    if (op.spec->table_in_sram) mem.count(Buffer::kGradients, Operand::kTable, st.table_reads, st.table_writes);
    else if (st.table_reads > 0) dram_wait += idle_to(e, ctx_.dram.fetch(en.cycle, Operand::kTable, st.table_reads));
  } else {
    st.elements = vector_elements(op.vector, ctx_.w, op.layer, op.m, op.sub);
    st.loss = run_vector(op.vector, mem, ctx_.w, *op.layout, op.layer, op.m, ctx_.num, ctx_.sn, ctx_.lr(), op.labels,
                         ctx_.functional(), op.sub);
  }
  const int64_t cycles = vector_cycles(cfg, st.elements, mem.counts() - before);
  // the SRAM's bandwidth slowed it by the difference
  const int64_t extra = cycles - vector_cycles(cfg, st.elements);
  if (extra > 0) r.cycles_bandwidth_stall += extra, os.bandwidth_stall_cycles += extra;
  r.vector_elements += st.elements;
  r.stages[int(op.stage)].vector_elements += st.elements;
  engine_wait += vector_time(e, cycles);
  (op.stage == Stage::kUpdate    ? r.cycles_update
   : op.stage == Stage::kForward ? r.cycles_forward
                                 : r.cycles_backward) += cycles;
  if (op.spec && !op.spec->table_in_sram && st.table_writes > 0)
    ctx_.dram.store(en.cycle, Operand::kTable, st.table_writes);
  OpOutcome out;
  out.elements = st.elements;
  out.table_reads = st.table_reads, out.table_writes = st.table_writes;
  out.loss = st.loss;
  return out;
}

int64_t OpExecutor::vector_time(int e, int64_t cycles) {
  EngineState& en = eng_[e];
  int64_t waited = 0;
  if (engines() > 1) {  // a vector unit shared by two engines serves one operation at a time
    waited = idle_to(e, vector_free_[en.vector_unit]);
    vector_free_[en.vector_unit] = en.cycle + cycles;
  }
  backend_vector(e, cycles);
  mark_busy(e, en.cycle, en.cycle + cycles);
  en.cycle += cycles;
  return waited;
}

void OpExecutor::in_parallel(const std::function<void()>& on_engine0, const std::function<void()>& on_engine1) {
  backend_parallel(on_engine0, on_engine1);
  // the barrier: both engines continue from the later end
  EngineState& f = eng_[0];
  EngineState& b = eng_[1];
  const int64_t t = std::max(f.cycle, b.cycle);
  ctx_.result.cycles_overlap += intersection(f.busy, b.busy);
  f.busy.clear(), b.busy.clear();
  for (int e = 0; e < 2; ++e) {
    ctx_.result.spec.barrier_wait_cycles[e] += t - eng_[e].cycle;
    backend_hold(e, t);
    eng_[e].cycle = t;
  }
  backend_sync(t);
}

void OpExecutor::join(int e, int other) {
  ctx_.result.spec.barrier_wait_cycles[e] += eng_[other].cycle - eng_[e].cycle;
  backend_hold(e, eng_[other].cycle);
  eng_[e].cycle = eng_[other].cycle;
}

}  // namespace systrain
