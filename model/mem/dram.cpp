#include "dram.h"

#include <algorithm>

namespace systrain {

int64_t DmaChannel::transfer(int64_t cycle, int64_t words) {
  const int64_t start = std::max(cycle, free_at_);
  free_at_ = start + duration(words);
  return free_at_;
}

DramSchedule::DramSchedule(const Config& cfg, const Workload& w)
    : w_(w),
      dma_(cfg.accelerator.dram.latency_cycles, cfg.accelerator.dram.bytes_per_cycle,
           cfg.word_bits()),
      weights_resident_(w.weight_words <=
                        int64_t{cfg.accelerator.sram.weights_kib} * 8192 / cfg.word_bits()),
      act_capacity_words_(int64_t{cfg.accelerator.sram.activations_kib} * 8192 / cfg.word_bits()),
      grad_capacity_words_(int64_t{cfg.accelerator.sram.gradients_kib} * 8192 / cfg.word_bits()),
      weights_ready_(w.layers.size(), 0) {
  recent_.no_spans();
  const int L = static_cast<int>(w.layers.size());
  for (int i = 0; i < L; ++i) {
    const auto& p = w.layers[i];
    int64_t stash = p.rows * p.kw();
    for (const Prep& s : p.prep)
      if (s.kind == PrepKind::kPool) stash += s.out.elements();  // its argmax mask
    // the ReLU output of the layer below, when a prep stage sits between it and X
    if (i > 0 && w.layers[i - 1].relu && (!p.prep.empty() || w.from_topology))
      stash += w.layers[i - 1].rows * w.layers[i - 1].n;
    stash_ps_.push_back(stash);
    stash_sum_ += stash;
    // (the first layer has no AG pass: no dX, no partial sums)
    int64_t grad = p.rows * p.n;
    if (i > 0) {
      grad += p.rows * p.k + 2 * p.rows * std::max(p.kw(), p.n);
      for (const Prep& s : p.prep) grad += s.in.elements();
    }
    grad_ps_.push_back(grad);
  }
}

DramCounts DramSchedule::take_recent() {
  DramCounts d = recent_;
  recent_ = DramCounts();
  recent_.no_spans();
  return d;
}

int64_t DramSchedule::transfer(int64_t cycle, Operand op, int64_t words, bool write) {
  const int64_t start = std::max(cycle, dma_.free_at());
  const int64_t end = dma_.transfer(cycle, words);
  int64_t& first = (write ? recent_.write_first : recent_.read_first)[int(op)];
  if (first < 0) first = start;
  (write ? recent_.write_last : recent_.read_last)[int(op)] = end;
  return end;
}

int64_t DramSchedule::read(int64_t cycle, Operand op, int64_t words) {
  counts_.reads[int(op)] += words;
  recent_.reads[int(op)] += words;
  return transfer(cycle, op, words, false);
}

void DramSchedule::write(int64_t cycle, Operand op, int64_t words) {
  counts_.writes[int(op)] += words;
  recent_.writes[int(op)] += words;
  transfer(cycle, op, words, true);
}

bool DramSchedule::spills(int64_t m, int layer) const {
  const auto& p = w_.layers[layer];
  return layer + 1 < static_cast<int>(w_.layers.size()) && m * p.rows * (p.kw() + p.n) > act_capacity_words_;
}

int64_t DramSchedule::layer_ready(int64_t step, int64_t m, int64_t next_m, int layer, int64_t cycle) {
  const int last = static_cast<int>(w_.layers.size()) - 1;
  const bool fetch_weights = step == 0 || !weights_resident_;
  if (step == 0 && layer == 0) {  // nothing was prefetched for the first step
    input_ready_ = read(cycle, Operand::kX, m * w_.input_width);
    weights_ready_[0] = read(cycle, Operand::kW, w_.layers[0].kw() * w_.layers[0].n);
  }
  int64_t ready = std::max(cycle, layer == 0 ? input_ready_ : spill_ready_);
  if (fetch_weights) ready = std::max(ready, weights_ready_[layer]);
  // the layer starts at `ready`: prefetch what comes next, the nearest need first
  if (layer < last && fetch_weights)
    weights_ready_[layer + 1] = read(ready, Operand::kW, w_.layers[layer + 1].kw() * w_.layers[layer + 1].n);
  if (layer == last && next_m > 0 && !weights_resident_)
    weights_ready_[0] = read(ready, Operand::kW, w_.layers[0].kw() * w_.layers[0].n);
  if (layer == 0 && next_m > 0) input_ready_ = read(ready, Operand::kX, next_m * w_.input_width);
  return ready;
}

bool DramSchedule::stash_spills(int64_t m) const {
  const int64_t words = m * (w_.layers.back().n + stash_sum_);
  return words * stash_slots_ > act_capacity_words_;
}

int64_t DramSchedule::weights_ready(int layer, int64_t cycle) {
  const auto& p = w_.layers[layer];
  return weights_resident_ ? cycle : read(cycle, Operand::kW, p.kw() * p.n);
}

bool DramSchedule::gradients_spill(int64_t m, int layer) const {
  // the backward working set of the layer: its dY, the dX it produces, the
  // partial sums (acc_bits: two words) and its dW
  const auto& p = w_.layers[layer];
  return gradients_working_set(m, layer) + p.kw() * p.n > grad_capacity_words_;
}

int64_t DramSchedule::gradients_working_set(int64_t m, int layer) const { return m * grad_ps_[layer]; }

bool DramSchedule::dy_spills(int64_t m, int layer) const { return gradients_working_set(m, layer) > grad_capacity_words_; }

int64_t DramSchedule::dy_ready(int64_t m, int layer, int64_t cycle, bool first) {
  if (!dy_spills(m, layer)) return cycle;
  const auto& p = w_.layers[layer];
  if (first) write(cycle, Operand::kDy, m * p.rows * p.n);
  return read(cycle, Operand::kDy, m * p.rows * p.n);
}

int64_t DramSchedule::spill_dw(int layer, int64_t cycle) {
  const auto& p = w_.layers[layer];
  write(cycle, Operand::kDw, p.kw() * p.n);
  return read(cycle, Operand::kDw, p.kw() * p.n);
}

int64_t DramSchedule::backward_ready(int64_t m, int layer, int64_t cycle) {
  const auto& p = w_.layers[layer];
  int64_t ready = cycle;
  if (!weights_resident_) ready = std::max(ready, read(cycle, Operand::kW, p.kw() * p.n));
  if (stash_spills(m)) ready = std::max(ready, read(cycle, Operand::kX, m * stash_ps_[layer]));
  return ready;
}

void DramSchedule::backward_done(int layer, int64_t cycle) {
  const auto& p = w_.layers[layer];
  if (!weights_resident_) write(cycle, Operand::kW, p.kw() * p.n);
}

void DramSchedule::layer_done(int64_t m, int layer, int64_t cycle, bool training_step) {
  const auto& p = w_.layers[layer];
  // the stash of the layer goes to DRAM for its backward pass (the first
  // layer's input is there already)
  if (training_step && stash_spills(m)) {
    const int64_t input = layer == 0 && p.prep.empty() ? p.rows * p.kw() : 0;
    if (stash_ps_[layer] > input) write(cycle, Operand::kX, m * (stash_ps_[layer] - input));
  }
  if (spills(m, layer)) {
    write(cycle, Operand::kX, m * p.rows * p.n);
    spill_ready_ = read(cycle, Operand::kX, m * p.rows * p.n);
  }
  if (layer + 1 == static_cast<int>(w_.layers.size())) write(cycle, Operand::kY, m * p.n);
}

}  // namespace systrain
