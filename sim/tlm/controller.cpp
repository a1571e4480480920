#include "controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cosim_array.h"
#include "trainer.h"

namespace systrain {

Controller::Signals::Signals(const std::string& prefix)
    : step((prefix + "step").c_str()),
      layer((prefix + "layer").c_str()),
      tile((prefix + "tile").c_str()),
      phase((prefix + "phase").c_str()),
      mode((prefix + "mode").c_str()),
      busy((prefix + "busy").c_str()),
      vector((prefix + "vector_busy").c_str()),
      top_rd((prefix + "top_rd").c_str()),
      left_rd((prefix + "left_rd").c_str()),
      psum_rd((prefix + "psum_rd").c_str()),
      out_wr((prefix + "out_wr").c_str()) {}

void Controller::Signals::trace(sc_core::sc_trace_file* f) {
  for (auto* sig : {&step, &layer, &tile}) sc_core::sc_trace(f, *sig, sig->basename());
  sc_core::sc_trace(f, phase, phase.basename());
  sc_core::sc_trace(f, mode, mode.basename());
  for (auto* sig : {&busy, &vector, &top_rd, &left_rd, &psum_rd, &out_wr}) sc_core::sc_trace(f, *sig, sig->basename());
}

namespace {
std::vector<EngineSetup> setups(const std::vector<Engine>& engines) {
  std::vector<EngineSetup> s;
  for (const Engine& e : engines) s.push_back({e.memory, e.shape});
  return s;
}
}  // namespace

Controller::Controller(sc_core::sc_module_name n, RunContext& ctx, const Samples& train, const Samples& test,
                       std::vector<Engine> engines, sc_core::sc_trace_file* trace, bool progress,
                       StepObserver* observer)
    : sc_module(n),
      OpExecutor(ctx, setups(engines), observer),
      train_(train),
      test_(test),
      progress_(progress),
      trace_(trace),
      period_(1e3 / ctx.cfg.accelerator.clock_mhz, sc_core::SC_NS) {
  // a vector operation of no cycles would be a delta wait, which the model of
  // ties (TieOrder) leaves out: then a pass is one wait only where no tie can
  // come of it (backend_tiles)
  model_ = engines.size() > 1 && ctx.cfg.accelerator.vector.latency_cycles > 0;
  one_wait_per_pass_ = model_ && ctx.cfg.simulation.tile_classes;
  if (engines.size() > 1) socket_b = std::make_unique<Socket>("to_array_b");
  for (size_t i = 0; i < engines.size(); ++i) {
    auto lane = std::make_unique<Lane>();
    lane->socket = i == 0 ? &socket : socket_b.get();
    lane->array = engines[i].array;
    lane->sig = std::make_unique<Signals>(i == 0 ? "" : "b_");
    lane->payload.set_extension(&lane->ext);
    if (trace_) lane->sig->trace(trace_);
    lanes_.push_back(std::move(lane));
  }
  SC_THREAD(main);
  if (engines.size() > 1) SC_THREAD(backward_thread);
}

Controller::~Controller() {
  // the payloads do not own their extension: if the run stopped before main()
  // let go of it (SystemC ended a thread on an error), let go of it here
  for (auto& lane : lanes_) lane->payload.clear_extension(&lane->ext);
}

void Controller::main() {
  try {
    const auto schedule = make_schedule(ctx_);
    Trainer(ctx_, *this, *schedule, train_, test_, progress_).run();
    if (trace_ && now(0) <= ctx_.cfg.simulation.vcd_window[1]) {  // the run ends inside the window: show it idle
      for (auto& l : lanes_) trace_idle(*l->sig);
      wait(period_);
    }
    close_trace();
  } catch (const std::exception& e) {  // a CosimMismatch or a simulation failure
    error_ = e.what();
  }
  for (auto& lane : lanes_) lane->payload.clear_extension(&lane->ext);
}

bool Controller::in_window(int64_t from, int64_t to) const {
  return trace_ && to > ctx_.cfg.simulation.vcd_window[0] && from <= ctx_.cfg.simulation.vcd_window[1];
}

const TileRun& Controller::backend_tile(int e, const Tile& t) {
  Lane& lane = *lanes_[e];
  auto& ext = lane.ext;
  ext.work = &t;
  ext.start_cycle = now(e);
  ext.record_events = trace_ && now(e) <= ctx_.cfg.simulation.vcd_window[1];
  ext.result = &lane.run;
  lane.payload.set_command(tlm::TLM_WRITE_COMMAND);
  lane.payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // the target annotates the tile's cycles; advance() waits them, cycle by
  // cycle inside the trace window
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  try {
    (*lane.socket)->b_transport(lane.payload, delay);
  } catch (const CosimMismatch& m) {  // say where in the run it happened
    ctx_.result.cosim_mismatches++;
    // the phase of the tile's cycle it happened in: a cycle frozen by the
    // SRAM's limits is in the phase of the cycle it delays
    const TileStalls st = tile_stalls(t, shape(e), true);
    const int64_t rel = m.cycle() - now(e);
    int64_t logical = 0;
    for (int64_t phys = -1; logical < static_cast<int64_t>(st.per_cycle.size()); ++logical)
      if ((phys += st.per_cycle[logical] + 1) >= rel) break;
    throw std::runtime_error(fmt::format(
        "co-simulation mismatch at cycle {} (step {}, {}layer {}, {} pass, {}, {} phase):\n  {}", m.cycle(), step_of(e),
        engines() > 1 ? fmt::format("engine {}, ", e) : "", t.layer, op_name(e).empty() ? "?" : op_name(e),
        describe(t), to_string(phase_at(t, shape(e), logical)), m.what()));
  }
  if (lane.payload.is_response_error()) throw std::runtime_error("array target rejected a tile");
  {  // the tile's cycles inside the trace window (an empty window is warned of)
    const int64_t s = now(e), end = s + lane.run.cycles;
    const int64_t w0 = ctx_.cfg.simulation.vcd_window[0], w1 = ctx_.cfg.simulation.vcd_window[1];
    window_busy_ += std::max<int64_t>(0, std::min(end, w1 + 1) - std::max(s, w0));
  }
  advance(e, t, lane.run);
  return lane.run;
}

void Controller::trace_idle(Signals& s) {
  for (auto* sig : {&s.busy, &s.vector, &s.top_rd, &s.left_rd, &s.psum_rd, &s.out_wr}) sig->write(false);
  s.phase.write(0);
}

void Controller::trace_idle_in_window(int e) {
  if (trace_ && now(e) >= ctx_.cfg.simulation.vcd_window[0] && now(e) <= ctx_.cfg.simulation.vcd_window[1])
    trace_idle(*lanes_[e]->sig);
}

void Controller::close_trace() {
  if (trace_) sc_core::sc_close_vcd_trace_file(trace_);
  trace_ = nullptr;
}

void Controller::advance(int e, const Tile& t, const TileRun& r) {
  Lane& lane = *lanes_[e];
  const int64_t w0 = ctx_.cfg.simulation.vcd_window[0], w1 = ctx_.cfg.simulation.vcd_window[1];
  const int64_t s = now(e), end = s + r.cycles;  // the tile's cycles are [s, end)
  if (!trace_ || end <= w0 || s > w1) {
    pass_time(e, r.cycles);
    return;
  }
  Signals& sig = *lane.sig;
  std::vector<uint8_t> ports[4];
  for (auto& v : ports) v.assign(r.cycles, 0);
  for (const auto& ev : r.events) ports[int(ev.port)][ev.cycle] = 1;
  const auto &top = ports[0], &left = ports[1], &psum = ports[2], &out = ports[3];
  for (int64_t c = s; c < end;) {
    if (c > w1) close_trace();  // the window is over: the file ends here
    if (c < w0 || c > w1) {  // outside the window: skip ahead
      const int64_t next = c < w0 ? std::min(end, w0) : end;
      pass_time(e, next - c);
      c = next;
      continue;
    }
    const int64_t rel = c - s;
    if (c == s || c == w0) {  // the tile's first traced cycle
      sig.step.write(static_cast<uint32_t>(step_of(e)));
      sig.layer.write(static_cast<uint32_t>(t.layer));
      sig.tile.write(static_cast<uint32_t>(t.index));
      sig.mode.write(hardware_mode(t.mode));  // the RTL's mode input (IS runs as WS)
      sig.busy.write(true);
      sig.vector.write(false);
    }
    sig.phase.write(r.phases.empty() ? int(phase_at(t, shape(e), rel)) : r.phases[rel]);
    sig.top_rd.write(top[rel]);
    sig.left_rd.write(left[rel]);
    sig.psum_rd.write(psum[rel]);
    sig.out_wr.write(out[rel]);
    pass_time(e, 1);
    ++c;
  }
}

bool Controller::backend_tiles(int e, const PassTiming& t) {
  // only the plain TLM array (not the RTL, co-simulation or a fault
  // injector, which see every tile), and not inside the trace window
  Lane& lane = *lanes_[e];
  if (!dynamic_cast<TlmArray*>(lane.array) || (trace_ && in_window(now(e), now(e) + t.cycles))) return false;
  if (engines() == 1) {
    wait(static_cast<double>(t.cycles) * period_);
    return true;
  }
  if (one_wait_per_pass_) {  // the pass in one wait; its tiles' ends go into ties_ (pass_time())
    if (t.cycles > 0) pass_time(e, t.cycles, &t.sequence);  // (no tiles: no wait, as tile by tile)
    return true;
  }
  // Without the model of ties (a vector operation may take no cycles), time
  // passes tile by tile wherever that can decide the order in which the
  // engines' threads meet; elsewhere, several tiles in one wait. The two
  // threads' timed wakeups are the only timed events (nothing is cancelled),
  // so while this thread runs the event queue holds at most the other
  // thread's one: a queue of one has one shape, whatever came before. Tiles
  // that end strictly before the next pending event (or all of them, when
  // none is pending and no process is runnable now) pass in one wait: no
  // other thread runs before they end, and the queue is then the same one as
  // tile by tile. A tile that would end at or after the other's wakeup is
  // waited alone, from the same queue as tile by tile, so a tie between the
  // two wakes them in the same order.
  sc_core::sc_time horizon = sc_core::sc_time_to_pending_activity();  // how far from now one wait may go
  int64_t merged = 0;  // the cycles of the whole tiles taken into the next wait
  for (const auto& [cycles, tiles] : t.sequence)
    for (int64_t k = 0; k < tiles; ++k) {
      if (static_cast<double>(merged + cycles) * period_ < horizon) {
        merged += cycles;
        continue;
      }
      if (merged > 0) wait(static_cast<double>(merged) * period_);
      wait(static_cast<double>(cycles) * period_);  // this tile alone
      merged = 0;
      horizon = sc_core::sc_time_to_pending_activity();
    }
  if (merged > 0) wait(static_cast<double>(merged) * period_);
  return true;
}

int64_t Controller::cycle_now() const {
  return static_cast<int64_t>(std::llround(sc_core::sc_time_stamp() / period_));
}

void Controller::pass_time(int e, int64_t cycles, const TieOrder::Tiles* tiles) {
  if (!section_ || !model_) {
    wait(static_cast<double>(cycles) * period_);
    return;
  }
  Lane& lane = *lanes_[e];
  const int64_t from = cycle_now(), t = from + cycles;
  if (tiles) ties_.wait(e, from, *tiles);
  else ties_.wait(e, from, cycles);
  lane.pending = t;
  wait(static_cast<double>(cycles) * period_);
  lane.pending = -1;
  // the other engine's thread wakes at t too and has not run yet, but tile by
  // tile it would have run first: a pass in one wait entered SystemC's queue
  // earlier than its last tile would have. Let it run, then go on.
  if (lanes_[1 - e]->pending != t || ties_.first_at(t) == e) return;
  if (!one_wait_per_pass_)  // tile by tile, SystemC's order is the model's
    throw std::logic_error(fmt::format("engine {}'s thread ran first at cycle {}, against the model of ties", e, t));
  wait(sc_core::SC_ZERO_TIME);
}

void Controller::backend_vector(int e, int64_t cycles) {
  Lane& lane = *lanes_[e];
  const int64_t c = now(e);
  lane.array->idle(c, c + cycles);
  const int64_t w0 = ctx_.cfg.simulation.vcd_window[0];
  if (in_window(c, c + cycles)) {
    if (c < w0) pass_time(e, w0 - c);
    trace_idle(*lane.sig);
    lane.sig->vector.write(true);
    pass_time(e, c + cycles - std::max(c, w0));
    lane.sig->vector.write(false);
  } else {
    pass_time(e, cycles);
  }
}

void Controller::backend_idle(int e, int64_t until) {
  Lane& lane = *lanes_[e];
  const int64_t c = now(e);
  lane.array->idle(c, until);
  const int64_t w0 = ctx_.cfg.simulation.vcd_window[0];
  if (in_window(c, until)) {  // show the wait in the trace
    if (c < w0) pass_time(e, w0 - c);
    trace_idle(*lane.sig);
    pass_time(e, until - std::max(c, w0));
  } else {
    pass_time(e, until - c);
  }
}

void Controller::backend_hold(int e, int64_t until) { lanes_[e]->array->idle(now(e), until); }

void Controller::backend_sync(int64_t cycle) {
  const int64_t t = cycle_now();
  if (t < cycle) wait(static_cast<double>(cycle - t) * period_);
}

void Controller::backward_thread() {
  while (true) {
    wait(b_start_);
    try {
      if (b_work_) b_work_();
    } catch (const std::exception& e) {
      b_error_ = e.what();
    }
    trace_idle_in_window(1);
    b_running_ = false;
    b_done_.notify(sc_core::SC_ZERO_TIME);
  }
}

void Controller::backend_parallel(const std::function<void()>& on_engine0, const std::function<void()>& on_engine1) {
  section_ = true;
  ties_.start(cycle_now());
  for (auto& l : lanes_) l->pending = -1;
  b_error_.clear();
  b_work_ = on_engine1;
  b_running_ = true;
  b_start_.notify(sc_core::SC_ZERO_TIME);
  std::string f_error;
  try {
    on_engine0();
  } catch (const std::exception& e) {
    f_error = e.what();
  }
  trace_idle_in_window(0);
  while (b_running_) wait(b_done_);  // the main thread is now at max(engine 0's end, engine 1's end)
  section_ = false;
  b_work_ = nullptr;
  if (!f_error.empty()) throw std::runtime_error(f_error);
  if (!b_error_.empty()) throw std::runtime_error(b_error_);
}

}  // namespace systrain
