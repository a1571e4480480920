#include "trainer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "array_model.h"
#include "fnv1a.h"
#include "pass_values.h"

namespace systrain {

Trainer::Trainer(RunContext& ctx, OpExecutor& ex, TrainingSchedule& schedule, const Samples& train,
                 const Samples& test, bool progress)
    : ctx_(ctx), ex_(ex), schedule_(schedule), train_(train), test_(test), progress_(progress) {}

void Trainer::setup_memories() {
  if (!ctx_.functional()) return;  // timing only: no tensor storage at all
  const Workload& w = ctx_.w;
  const StepLayout& layout = ctx_.layout;
  const Numerics& num = ctx_.num;
  // Glorot-uniform weights from the run's seed (a bias starts at 0); the same
  // words go to every engine
  // (or, training.init: model, the model file's weights: W as [K][N], its bias)
  Rng rng(static_cast<uint64_t>(ctx_.cfg.training.seed));
  std::vector<int64_t> wts(layout.words[int(Buffer::kWeights)]);
  const bool from_model = ctx_.cfg.init_from_model();
  for (size_t li = 0; li < w.layers.size(); ++li) {
    const auto& p = w.layers[li];
    const double lim = std::sqrt(6.0 / static_cast<double>(p.k + p.n));
    const LayerWeights* given = from_model ? &ctx_.cfg.network.model_weights.at(p.config_layer) : nullptr;
    for (int64_t i = 0; i < p.kw(); ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        double v = 0.0;
        if (given) v = i < p.k ? given->w.at(i * p.n + j) : given->b.empty() ? 0.0 : given->b.at(j);
        else if (i < p.k) v = (rng.uniform() * 2 - 1) * lim;
        wts[layout.w[li].at(i, j)] = num.is_float ? f2w(static_cast<float>(v)) : quantize(v, num.fw, num.data_bits);
      }
  }
  // the constant-1 column that meets a bias row (written once; never overwritten)
  std::vector<int64_t> act(layout.words[int(Buffer::kActivations)], num.is_float ? f2w(0.0f) : 0);
  const int64_t one = num.is_float ? f2w(1.0f) : quantize(1.0, num.fa, num.data_bits);
  for (int slot = 0; slot < layout.slots; ++slot) {
    const StepLayout l = layout.view(slot);
    for (size_t li = 0; li < w.layers.size(); ++li)
      if (w.layers[li].bias)
        for (int64_t i = 0; i < w.layers[li].gemm_rows(ctx_.cfg.buffer_rows()); ++i) act[l.x[li].at(i, w.layers[li].k)] = one;
  }
  Memory& mem = ex_.memory(0);
  for (size_t li = 0; li < w.layers.size(); ++li) ctx_.mask_weights(wts, static_cast<int>(li));  // a masked network
  mem.buffer(Buffer::kWeights) = std::move(wts);
  mem.buffer(Buffer::kActivations) = std::move(act);
  // inference has no weight gradients: the gradients buffer holds its partial sums only
  mem.buffer(Buffer::kGradients)
      .assign(ctx_.result.training ? layout.words[int(Buffer::kGradients)] : layout.dws[0].base, 0);
}

void Trainer::load_batch(const Samples& s, const std::vector<int64_t>& order, int64_t first, int64_t m, Memory& mem,
                         const Mat& x0) {
  // a DMA fill from DRAM: counted at the DRAM interface, not at the array
  // edge. A sample's features are in C, H, W order; an input image is
  // stored NHWC (feature c·H·W + px goes to row b·H·W + px, lane c)
  const Workload& w = ctx_.w;
  const Numerics& num = ctx_.num;
  auto& act = mem.buffer(Buffer::kActivations);
  const int64_t K = w.input_width, P = w.image_input ? w.input.pixels() : 1;
  auto at = [&](int64_t i, int64_t j) { return x0.at(i * P + j % P, j / P); };
  if (!s.pixels.empty()) {  // images: 256 possible values, quantised once
    int64_t word[256];
    for (int b = 0; b < 256; ++b)
      word[b] = num.is_float ? f2w(b / 255.0f) : quantize(b / 255.0f, num.fa, num.data_bits);
    for (int64_t i = 0; i < m; ++i) {
      const uint8_t* src = &s.pixels[order[first + i] * K];
      if (i + 1 < m) {  // the next sample's pixels are somewhere else in the data set: ask for them now
        const uint8_t* next = &s.pixels[order[first + i + 1] * K];
        for (int64_t j = 0; j < K; j += 64) __builtin_prefetch(next + j);
      }
      if (P == 1) {  // a vector: one row
        int64_t* row = act.data() + x0.at(i, 0);
        if (x0.cs == 1)
          for (int64_t j = 0; j < K; ++j) row[j] = word[src[j]];
        else
          for (int64_t j = 0; j < K; ++j) row[j * x0.cs] = word[src[j]];
        continue;
      }
      for (int64_t j = 0; j < K; ++j) act[at(i, j)] = word[src[j]];
    }
    return;
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < K; ++j) {
      const float v = s.at(order[first + i], j);
      act[at(i, j)] = num.is_float ? f2w(v) : quantize(v, num.fa, num.data_bits);
    }
}

int64_t Trainer::top1(const Memory& mem, int64_t row) const {
  const auto& act = mem.buffer(Buffer::kActivations);
  const Mat& y = ctx_.layout.logits;
  int64_t best = 0;
  for (int64_t j = 1; j < ctx_.w.layers.back().n; ++j)
    if (ctx_.logit(act[y.at(row, j)]) > ctx_.logit(act[y.at(row, best)])) best = j;
  return best;
}

double Trainer::evaluate() {
  // the forward passes of the test set on a scratch copy of the buffers,
  // through the same TLM numerics; not timed, not counted
  const Config& cfg = ctx_.cfg;
  const Workload& w = ctx_.w;
  const StepLayout& layout = ctx_.layout;
  const ArrayShape shape = array_shape(cfg);
  Memory scratch(shape.words_per_psum);
  for (int b = 0; b < int(Buffer::kCount); ++b) scratch.buffer(Buffer(b)) = ex_.memory(0).buffer(Buffer(b));
  TlmArray array(shape, ctx_.num, true, ctx_.lr());
  Config inf = cfg;
  inf.schedule.kind = ScheduleKind::kInference;
  const int64_t batch = cfg.training.batch;
  std::vector<int64_t> order(test_.count);
  for (int64_t i = 0; i < test_.count; ++i) order[i] = i;
  int64_t correct = 0;
  for (int64_t first = 0; first < test_.count; first += batch) {
    const int64_t m = std::min(batch, test_.count - first);
    load_batch(test_, order, first, m, scratch, layout.input);
    for (const StepOp& op : step_ops(inf, w, layout, m)) {
      if (!op.array) {
        run_vector(op.vector, scratch, w, layout, op.layer, m, ctx_.num, ctx_.sn, 0.0f, nullptr, true, op.sub);
        continue;
      }
      if (cfg.simulation.tile_classes) {  // the pass as one GEMM (pass_values.h), as the run's own passes
        pass_values(op.pass, scratch, ctx_.num, ctx_.lr());
        continue;
      }
      for (const Tile& t : tile_pass(op.pass, shape))
        array.run(t, scratch, 0, false);
    }
    for (int64_t i = 0; i < m; ++i) correct += top1(scratch, i) == test_.labels[first + i];
  }
  return test_.count > 0 ? static_cast<double>(correct) / static_cast<double>(test_.count) : 0.0;
}

void Trainer::run() {
  RunResult& r = ctx_.result;
  const Config& cfg = ctx_.cfg;
  const Workload& w = ctx_.w;
  setup_memories();
  r.layers.resize(w.config_layers.size());
  for (size_t i = 0; i < w.config_layers.size(); ++i) {
    r.layers[i].index = static_cast<int>(i);
    r.layers[i].type = w.config_layers[i].type;
    r.layers[i].gemm_index = w.config_layers[i].gemm;
  }
  const bool training = r.training;
  const Samples& s = training ? train_ : test_;
  const int64_t batch = cfg.training.batch;
  const int64_t steps_per_epoch = (s.count + batch - 1) / batch;
  const int epochs = training ? cfg.training.epochs : 1;
  int64_t steps = steps_per_epoch * epochs;
  if (cfg.simulation.max_steps > 0) steps = std::min(steps, cfg.simulation.max_steps);
  std::vector<int64_t> order(s.count);
  std::vector<uint8_t> labels;
  Rng shuffle(static_cast<uint64_t>(cfg.training.seed) * 7919 + 17);
  LossStats inference;  // top-1 of the inference steps
  bool diverged = false;
  int64_t step = 0;
  std::vector<double> step_loss;  // training: each step's mean loss, for the learning checks
  const std::vector<int64_t> initial_weights =
      training && ctx_.functional() ? ex_.memory(0).buffer(Buffer::kWeights) : std::vector<int64_t>{};
  for (int epoch = 0; epoch < epochs && step < steps; ++epoch) {
    for (int64_t i = 0; i < s.count; ++i) order[i] = i;
    if (training)  // Fisher-Yates from the seed: the same order every run
      for (int64_t i = s.count - 1; i > 0; --i) std::swap(order[i], order[shuffle.next() % uint64_t(i + 1)]);
    LossStats epoch_loss;
    int64_t epoch_hits = 0, samples = 0;
    for (int64_t k = 0; k < steps_per_epoch && step < steps; ++k, ++step) {
      const int64_t first = k * batch, m = std::min(batch, s.count - first);
      const bool more = step + 1 < steps;
      StepInput in;
      in.step = step, in.m = m;
      in.next_m = !more ? 0 : k + 1 < steps_per_epoch ? std::min(batch, s.count - first - m) : std::min(batch, s.count);
      labels.resize(m);
      for (int64_t i = 0; i < m; ++i) labels[i] = s.labels[order[first + i]];
      in.labels = &labels;
      in.load = [&](const Mat& input) {
        load_batch(s, order, first, m, ex_.memory(0), input);
        if (ex_.observer()) ex_.observer()->before_step(step, ex_.memory(0), labels);
      };
      const StepOutcome out = schedule_.step(in, ex_);
      if (training && ctx_.functional()) step_loss.push_back(out.loss.loss_sum / static_cast<double>(m));
      epoch_loss += out.loss;
      epoch_hits += out.hits;
      if (!training && ctx_.functional())  // inference: score the logits of the step
        for (int64_t i = 0; i < m; ++i) inference.correct += top1(ex_.memory(0), i) == labels[i];
      samples += m;
      r.samples += m;
      progress(epoch, epochs, step + 1, steps);
    }
    // a pipelined schedule drains only at the end of the run: an epoch's
    // last update lands in the next epoch's first step
    if (step == steps) schedule_.finish(ex_);
    if (training) {
      r.epoch_cycles.push_back(ex_.now(0));
      if (r.spec.ran)
        r.spec.hit_rate.push_back(static_cast<double>(epoch_hits) / static_cast<double>(std::max<int64_t>(1, samples)));
      if (ctx_.functional()) {
        r.test_accuracy.push_back(evaluate());
        r.train_loss.push_back(epoch_loss.loss_sum / static_cast<double>(std::max<int64_t>(1, samples)));
        if (!std::isfinite(r.train_loss.back()) && !diverged) {
          diverged = true;
          r.warnings.push_back(fmt::format(
              "training diverged: the mean training loss of epoch {} is not a number (reported as null); lower "
              "training.learning_rate",
              epoch + 1));
        }
        r.train_accuracy.push_back(static_cast<double>(epoch_loss.correct) /
                                   static_cast<double>(std::max<int64_t>(1, samples)));
      }
    }
  }
  if (progress_shown_ && isatty(2)) fmt::print(stderr, "\n");
  r.steps = step;
  if (training && ctx_.functional() && !diverged) learning_checks(step_loss, initial_weights);
  if (!training && ctx_.functional() && r.samples > 0)
    r.accuracy = static_cast<double>(inference.correct) / static_cast<double>(r.samples);
  finish_run();
}

void Trainer::learning_checks(const std::vector<double>& step_loss, const std::vector<int64_t>& initial_weights) {
  // A run that does not learn says so. Judged over at least 20 steps: the
  // loss of the last tenth of the steps against the first tenth's; the
  // training accuracy of the last epoch against chance; and how many weight
  // words any update changed (updates that round to zero change none).
  RunResult& r = ctx_.result;
  const size_t n = step_loss.size();
  if (n < 20) return;
  const size_t tenth = n / 10;
  double first = 0, last = 0;
  for (size_t i = 0; i < tenth; ++i) first += step_loss[i], last += step_loss[n - 1 - i];
  first /= static_cast<double>(tenth), last /= static_cast<double>(tenth);
  const std::string fix = ctx_.cfg.is_float()
                              ? "change training.learning_rate"
                              : "raise accelerator.numerics.error_frac_bits and gradient_frac_bits (the small values "
                                "round to zero), or change training.learning_rate";
  if (last >= 0.98 * first)
    r.warnings.push_back(fmt::format("training is not learning: the mean loss of the last tenth of the steps ({:.4f}) "
                                     "is not below the first tenth's ({:.4f}); {}",
                                     last, first, fix));
  const int64_t classes = ctx_.w.layers.back().n;
  if (!r.train_accuracy.empty() && classes >= 3 && r.train_accuracy.back() < 1.5 / static_cast<double>(classes))
    r.warnings.push_back(fmt::format("training is not learning: the last epoch's training accuracy, {:.2f} %, is near "
                                     "chance (1 in {}); {}",
                                     100.0 * r.train_accuracy.back(), classes, fix));
  const auto& now = ex_.memory(0).buffer(Buffer::kWeights);
  int64_t words = 0, changed = 0;
  const StepLayout& layout = ctx_.layout;
  for (size_t li = 0; li < ctx_.w.layers.size(); ++li) {
    const auto& p = ctx_.w.layers[li];
    for (int64_t i = 0; i < p.kw(); ++i)
      for (int64_t j = 0; j < p.n; ++j) {
        const int64_t a = layout.w[li].at(i, j);
        ++words, changed += now[a] != initial_weights[a];
      }
  }
  if (words > 0 && changed * 100 < words)
    r.warnings.push_back(fmt::format("training is not learning: {} of {} weights ({:.2f} %) changed in {} steps; the "
                                     "updates round to zero: raise accelerator.numerics.weight_frac_bits, or "
                                     "training.learning_rate",
                                     changed, words, 100.0 * static_cast<double>(changed) / static_cast<double>(words),
                                     n));
}

void Trainer::progress(int epoch, int epochs, int64_t done, int64_t steps) {
  // on a terminal: one line, redrawn a few times a second; in a log: a line
  // every 30 s. The rate and the time left are wall-clock figures: they are
  // never in a report.
  if (!progress_) return;
  using clock = std::chrono::steady_clock;
  const auto now = clock::now();
  if (done == 1) progress_start_ = now, progress_last_ = now;
  const bool tty = isatty(2);
  const double since_last = std::chrono::duration<double>(now - progress_last_).count();
  if (done != steps && since_last < (tty ? 0.25 : 30.0)) return;
  if (done == steps && !progress_shown_) return;  // a run too short to show progress
  progress_last_ = now;
  progress_shown_ = true;
  const double secs = std::chrono::duration<double>(now - progress_start_).count();
  const double rate = secs > 0 ? static_cast<double>(done - 1) / secs : 0.0;
  const double left = rate > 0 ? static_cast<double>(steps - done) / rate : 0.0;
  const int64_t l = static_cast<int64_t>(left + 0.5);
  const std::string eta = l >= 3600 ? fmt::format("{}h{:02}m", l / 3600, l / 60 % 60)
                                    : l >= 60 ? fmt::format("{}m{:02}s", l / 60, l % 60) : fmt::format("{}s", l);
  fmt::print(stderr, "{}systrain: epoch {}/{} step {}/{} ({:.0f} %)  cycle {}  {:.1f} steps/s  {}{}", tty ? "\r" : "",
             epoch + 1, epochs, done, steps, 100.0 * static_cast<double>(done) / static_cast<double>(steps),
             ex_.now(0), rate, done == steps ? "done" : "about " + eta + " left", tty ? "   " : "\n");
}

void Trainer::finish_run() {
  RunResult& r = ctx_.result;
  const Workload& w = ctx_.w;
  ex_.wait_until(0, ctx_.dram.end());  // the last results reach DRAM
  r.cycles_drain = ex_.finish();
  r.weight_words = w.weight_words;
  r.input_words = w.input_width;
  for (int i = 0; i < static_cast<int>(w.layers.size()); ++i) r.stash_words += ctx_.dram.stash_words(i);
  const int64_t total = ex_.now(0);
  r.cycles_total = total;
  r.dram = ctx_.dram.counts();
  for (int e = 0; e < ex_.engines(); ++e) r.sram += ex_.memory(e).counts();
  for (const auto& o : r.ops) r.macs += o.macs, r.tiles += o.tiles;
  {  // every MAC, vector element and word belongs to exactly one stage
    int64_t macs = 0, elements = 0, dram_reads = 0, dram_writes = 0;
    AccessCounts sram;
    for (const auto& st : r.stages) {
      macs += st.macs, elements += st.vector_elements, sram += st.sram;
      dram_reads += st.dram.total_reads(), dram_writes += st.dram.total_writes();
    }
    if (macs != r.macs || elements != r.vector_elements || sram.total_reads() != r.sram.total_reads() ||
        sram.total_writes() != r.sram.total_writes() || dram_reads != r.dram.total_reads() ||
        dram_writes != r.dram.total_writes())
      throw std::logic_error("the work by stage does not add up to the run's");
  }
  if (r.training && ctx_.functional()) {  // a fingerprint of the trained weights, to compare runs exactly
    const auto& wts = ex_.memory(0).buffer(Buffer::kWeights);
    r.weights_fnv1a = fnv1a(wts.data(), wts.size() * sizeof(int64_t));
  }
  const int64_t worked = r.cycles_forward + r.cycles_backward + r.cycles_update - r.cycles_overlap;
  if (ex_.engines() > 1) r.cycles_stall = total - worked;  // cycles in which neither engine worked
  if (worked + r.cycles_stall != total || r.cycles_stall < 0)
    throw std::logic_error("the cycles by stage do not add up to the total");
  if (ex_.engines() == 1) {  // and every cycle of one engine belongs to an op or to the final drain
    int64_t ops = r.cycles_drain;
    for (const auto& o : r.ops) ops += o.cycles + o.dram_wait_cycles + o.engine_wait_cycles;
    if (ops != total) throw std::logic_error("the cycles of the ops do not add up to the total");
  }
}

}  // namespace systrain
