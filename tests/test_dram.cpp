// The DMA channel and the DRAM schedule against hand-computed timelines.
#include <doctest/doctest.h>

#include "dram.h"

using namespace systrain;

namespace {
Config dense_config(std::vector<int> units, int inputs) {
  Config c;
  c.network.input_shape = {inputs};
  for (int u : units) {
    LayerConfig l;
    l.units = u;
    c.network.layers.push_back(l);
  }
  return c;
}
}  // namespace

TEST_CASE("a DMA transfer takes latency + ceil(bytes / bytes_per_cycle), one at a time") {
  DmaChannel ch(10, 4, 16);
  CHECK(ch.duration(16) == 10 + 8);  // 32 bytes
  CHECK(ch.duration(32) == 10 + 16);
  CHECK(ch.duration(1) == 10 + 1);   // 2 bytes still take a cycle
  CHECK(DmaChannel(0, 3, 8).duration(7) == 3);  // 7 bytes over 3 a cycle
  CHECK(ch.transfer(0, 16) == 18);
  CHECK(ch.transfer(5, 32) == 44);   // waits for the first
  CHECK(ch.transfer(100, 1) == 111); // the channel was idle
}

TEST_CASE("the worked example of model/mem/dram.h: resident weights, input prefetched") {
  Config c = dense_config({4}, 8);
  c.accelerator.dram.latency_cycles = 10;
  c.accelerator.dram.bytes_per_cycle = 4;
  const Workload w = build_workload(c);
  DramSchedule d(c, w);
  CHECK(d.layer_ready(0, 2, 2, 0, 0) == 44);  // input 16 words (18) then weights 32 words (26)
  d.layer_done(2, 0, 74);                     // 30 cycles of compute; outputs 8 words (14) from 74
  CHECK(d.layer_ready(1, 2, 0, 0, 74) == 74); // step 1's input was prefetched at 44 (done at 62)
  d.layer_done(2, 0, 104);
  CHECK(d.end() == 118);
  CHECK(d.counts().reads[int(Operand::kX)] == 32);
  CHECK(d.counts().reads[int(Operand::kW)] == 32);  // fetched once
  CHECK(d.counts().writes[int(Operand::kY)] == 16);
}

TEST_CASE("weights that do not fit are fetched again every step, as the last layer starts") {
  Config c = dense_config({2}, 600);     // 1200 weight words
  c.accelerator.sram.weights_kib = 1;    // 512 words
  c.accelerator.dram.latency_cycles = 0;
  c.accelerator.dram.bytes_per_cycle = 2;  // a word a cycle
  const Workload w = build_workload(c);
  DramSchedule d(c, w);
  CHECK(d.layer_ready(0, 1, 1, 0, 0) == 1800);  // input 600, weights 1200
  // at 1800: step 1's weights (1200, done 3000), then its input (600, done 3600)
  d.layer_done(1, 0, 1900);                     // outputs: 2 words, queued after, done 3602
  CHECK(d.layer_ready(1, 1, 0, 0, 1900) == 3600);
  d.layer_done(1, 0, 3700);
  CHECK(d.end() == 3702);
  CHECK(d.counts().reads[int(Operand::kW)] == 2400);
}

TEST_CASE("a layer whose X and Y do not fit spills Y and the next layer waits for it") {
  Config c = dense_config({300, 10}, 300);
  c.network.layers[0].activation = Activation::kRelu;
  c.accelerator.sram.activations_kib = 1;   // 512 words < 300 + 300
  c.accelerator.sram.weights_kib = 256;     // 93000 weight words fit
  c.accelerator.dram.latency_cycles = 0;
  c.accelerator.dram.bytes_per_cycle = 2;
  const Workload w = build_workload(c);
  DramSchedule d(c, w);
  CHECK(d.layer_ready(0, 1, 0, 0, 0) == 90300);  // input 300, weights 90000; then layer 1's 3000 (93300)
  d.layer_done(1, 0, 90350);                     // spill: write 300 (93600), read back 300 (93900)
  CHECK(d.layer_ready(0, 1, 0, 1, 90350) == 93900);
  d.layer_done(1, 1, 93950);                     // outputs: 10 words
  CHECK(d.end() == 93960);
  CHECK(d.counts().reads[int(Operand::kX)] == 600);
  CHECK(d.counts().writes[int(Operand::kX)] == 300);  // the spilled layer output (the next layer's x)
  CHECK(d.counts().writes[int(Operand::kY)] == 10);
}

TEST_CASE("training: weights that are not resident come back for the backward pass and go out after it") {
  Config c = dense_config({4}, 8);  // one layer 8 -> 4: 32 weight words
  c.accelerator.sram.weights_kib = 1;  // 512 words: 32 are resident
  c.accelerator.dram.latency_cycles = 10;
  c.accelerator.dram.bytes_per_cycle = 4;
  {
    const Workload w = build_workload(c);
    DramSchedule d(c, w);
    CHECK(d.backward_ready(2, 0, 100) == 100);  // resident, stash fits: nothing to wait for
    d.backward_done(0, 120);
    CHECK(d.counts().total_reads() == 0);
    CHECK(d.counts().total_writes() == 0);
  }
  c.network.layers[0].units = 400;  // 3200 weight words > 512
  const Workload w = build_workload(c);
  DramSchedule d(c, w);
  CHECK(d.backward_ready(2, 0, 100) == 100 + 10 + 1600);  // 3200 words of 2 bytes over 4 a cycle
  d.backward_done(0, 2000);                                // written back: 2000 .. 3610
  CHECK(d.end() == 2000 + 10 + 1600);
  CHECK(d.counts().reads[int(Operand::kW)] == 3200);
  CHECK(d.counts().writes[int(Operand::kW)] == 3200);
}

TEST_CASE("training: an X stash and a dW that do not fit spill and are read back") {
  Config c = dense_config({300, 10}, 300);
  c.accelerator.sram.activations_kib = 1;  // 512 words < 300 (x0) + 300 (x1) + 10 (logits)
  c.accelerator.sram.gradients_kib = 1;    // 512 words < layer 1's dY 10 + dX 300 + psums 2·300 + dW 3000
  c.accelerator.sram.weights_kib = 1024;
  c.accelerator.dram.latency_cycles = 0;
  c.accelerator.dram.bytes_per_cycle = 2;
  const Workload w = build_workload(c);
  DramSchedule d(c, w);
  CHECK(d.stash_spills(1));
  CHECK(d.gradients_spill(1, 1));
  d.layer_done(1, 0, 0, true);  // layer 0's output (x of layer 1) goes out once: the forward spill is the stash
  CHECK(d.counts().writes[int(Operand::kX)] == 300);
  const int64_t t = d.end();
  CHECK(d.backward_ready(1, 1, t) == t + 300);  // x of layer 1 back (300 words, one a cycle)
  CHECK(d.spill_dw(1, t + 400) == t + 400 + 3000 + 3000);  // 3000 dW words out, then back
  CHECK(d.counts().writes[int(Operand::kDw)] == 3000);
  CHECK(d.counts().reads[int(Operand::kDw)] == 3000);
}
