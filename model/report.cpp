#include "report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "config_detail.h"
#include "config_schema.h"

namespace systrain {

using config_detail::json_str;

Energy energy_of(const Config& cfg, const RunResult& r) {
  const auto& e = cfg.accelerator.energy_pj;
  Energy out;
  out.mac = static_cast<double>(r.macs) * e.mac;
  out.sram = static_cast<double>(r.sram.total_reads() + r.sram.total_writes()) * e.sram_word;
  out.dram = static_cast<double>(r.dram.total_reads() + r.dram.total_writes()) * e.dram_word;
  return out;
}

double utilization_of(const RunResult& r) {
  const double slots = static_cast<double>(r.cycles_total) * r.rows * r.cols;
  return slots > 0 ? static_cast<double>(r.macs) / slots : 0.0;
}

namespace {

std::string by_operand_sram(const AccessCounts& c, const std::string& pad) {
  std::string s = "{";
  for (int o = 0; o < int(Operand::kCount); ++o)
    s += fmt::format("{}\n{}  \"{}\": {{\"reads\": {}, \"writes\": {}}}", o ? "," : "", pad, to_string(Operand(o)),
                     c.operand_reads(Operand(o)), c.operand_writes(Operand(o)));
  return s + "\n" + pad + "}";
}

std::string by_buffer_sram(const AccessCounts& c, const std::string& pad) {
  std::string s = "{";
  for (int b = 0; b < int(Buffer::kCount); ++b) {
    int64_t rd = 0, wr = 0;
    for (int o = 0; o < int(Operand::kCount); ++o) rd += c.reads[b][o], wr += c.writes[b][o];
    s += fmt::format("{}\n{}  \"{}\": {{\"reads\": {}, \"writes\": {}}}", b ? "," : "", pad, to_string(Buffer(b)), rd, wr);
  }
  return s + "\n" + pad + "}";
}

}  // namespace

std::string report_json(const Config& cfg, const RunResult& r) {
  const Energy e = energy_of(cfg, r);
  std::string s = "{\n";
  s += fmt::format("  \"systrain_version\": \"{}\",\n", SYSTRAIN_VERSION);
  s += fmt::format("  \"name\": {},\n", json_str(cfg.name));
  s += fmt::format("  \"config\": {},\n", config_to_json(cfg, 1));
  s += fmt::format("  \"backend\": \"{}\",\n  \"schedule\": \"{}\",\n", r.backend, r.schedule);
  s += fmt::format("  \"array\": {{\"rows\": {}, \"cols\": {}}},\n", r.rows, r.cols);
  s += fmt::format(
      "  \"cycles\": {{\"total\": {}, \"forward\": {}, \"backward\": {}, \"update\": {}, \"stall\": {}}},\n",
      r.cycles_total, r.cycles_forward, r.cycles_backward, r.cycles_update, r.cycles_stall);
  s += fmt::format("  \"simulated_seconds\": {},\n", static_cast<double>(r.cycles_total) / (cfg.accelerator.clock_mhz * 1e6));
  s += fmt::format("  \"macs\": {},\n  \"tiles\": {},\n  \"utilization\": {},\n", r.macs, r.tiles, utilization_of(r));
  s += "  \"memory\": {\n";
  s += fmt::format("    \"sram\": {{\"reads\": {}, \"writes\": {},\n      \"by_operand\": {},\n      \"by_buffer\": {}}},\n",
                   r.sram.total_reads(), r.sram.total_writes(), by_operand_sram(r.sram, "      "),
                   by_buffer_sram(r.sram, "      "));
  std::string dops = "{";
  for (int o = 0; o < int(Operand::kCount); ++o)
    dops += fmt::format("{}\n        \"{}\": {{\"reads\": {}, \"writes\": {}}}", o ? "," : "", to_string(Operand(o)),
                        r.dram.reads[o], r.dram.writes[o]);
  dops += "\n      }";
  s += fmt::format("    \"dram\": {{\"reads\": {}, \"writes\": {},\n      \"by_operand\": {}}}\n  }},\n",
                   r.dram.total_reads(), r.dram.total_writes(), dops);
  s += fmt::format("  \"energy_pj\": {{\"total\": {}, \"mac\": {}, \"sram\": {}, \"dram\": {}}},\n", e.total(), e.mac,
                   e.sram, e.dram);
  auto list = [](const auto& v) {
    std::string o = "[";
    for (size_t i = 0; i < v.size(); ++i) o += fmt::format("{}{}", i ? ", " : "", v[i]);
    return o + "]";
  };
  s += fmt::format(
      "  \"training\": {{\"steps\": {}, \"samples\": {}, \"epochs\": {}, \"test_accuracy\": {}, \"train_loss\": {}, "
      "\"train_accuracy\": {}, \"epoch_end_cycles\": {}}},\n",
      r.steps, r.samples, r.epoch_cycles.size(), list(r.test_accuracy), list(r.train_loss), list(r.train_accuracy),
      list(r.epoch_cycles));
  if (!r.training)
    s += fmt::format("  \"inference\": {{\"accuracy\": {}, \"weights\": \"untrained (Glorot-uniform from training.seed)\"}},\n",
                     r.accuracy ? fmt::format("{}", *r.accuracy) : "null");
  s += "  \"speculation\": {\"hits\": 0, \"misses\": 0},\n";
  s += fmt::format(
      "  \"cosim\": {{\"ran\": {}, \"tlm_cycles\": {}, \"rtl_cycles\": {}, \"mismatches\": {}, \"events_compared\": {}, "
      "\"words_compared\": {}}},\n",
      r.cosim ? "true" : "false", r.cosim_tlm_cycles, r.cosim_rtl_cycles, r.cosim_mismatches, r.cosim_events_compared,
      r.cosim_words_compared);
  s += "  \"warnings\": [";
  for (size_t i = 0; i < r.warnings.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", json_str(r.warnings[i]));
  s += "],\n";
  s += "  \"layers\": [";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const auto& l = r.layers[i];
    s += fmt::format(
        "{}\n    {{\"index\": {}, \"gemm\": {{\"m\": {}, \"k\": {}, \"n\": {}}}, \"tiles\": {}, \"cycles\": {}, "
        "\"stall_cycles\": {}, \"macs\": {},\n     \"phase_cycles\": {{\"load\": {}, \"stream\": {}, \"flush\": {}, \"drain\": {}}},"
        "\n     \"sram\": {{\"reads\": {}, \"writes\": {}, \"by_operand\": {}}}}}",
        i ? "," : "", l.index, l.gemm.m, l.gemm.k, l.gemm.n, l.tiles, l.cycles, l.stall_cycles, l.macs,
        l.phase_cycles[int(Phase::kLoad)], l.phase_cycles[int(Phase::kStream)], l.phase_cycles[int(Phase::kFlush)],
        l.phase_cycles[int(Phase::kDrain)], l.sram.total_reads(), l.sram.total_writes(),
        by_operand_sram(l.sram, "     "));
  }
  s += "\n  ],\n";
  s += "  \"ops\": [";
  for (size_t i = 0; i < r.ops.size(); ++i) {
    const auto& o = r.ops[i];
    s += fmt::format(
        "{}\n    {{\"layer\": {}, \"op\": \"{}\", \"count\": {}, \"tiles\": {}, \"cycles\": {}, \"macs\": {}, "
        "\"sram\": {{\"reads\": {}, \"writes\": {}, \"by_operand\": {}}}}}",
        i ? "," : "", o.layer, o.op, o.count, o.tiles, o.cycles, o.macs, o.sram.total_reads(), o.sram.total_writes(),
        by_operand_sram(o.sram, "     "));
  }
  s += "\n  ],\n";
  // host figures are the only fields that differ between identical runs
  s += fmt::format("  \"host\": {{\"wall_seconds\": {:.3f}, \"simulated_cycles_per_second\": {:.0f}}}\n}}\n",
                   r.wall_seconds, r.wall_seconds > 0 ? static_cast<double>(r.cycles_total) / r.wall_seconds : 0.0);
  return s;
}

std::string report_csv(const Config& cfg, const RunResult& r) {
  std::string s = "counter,value\n";
  auto row = [&](const std::string& k, auto v) { s += fmt::format("{},{}\n", k, v); };
  row("cycles.total", r.cycles_total);
  row("cycles.forward", r.cycles_forward);
  row("cycles.backward", r.cycles_backward);
  row("cycles.update", r.cycles_update);
  row("cycles.stall", r.cycles_stall);
  row("macs", r.macs);
  row("tiles", r.tiles);
  row("utilization", utilization_of(r));
  row("memory.sram.reads", r.sram.total_reads());
  row("memory.sram.writes", r.sram.total_writes());
  for (int o = 0; o < int(Operand::kCount); ++o) {
    row(fmt::format("memory.sram.by_operand.{}.reads", to_string(Operand(o))), r.sram.operand_reads(Operand(o)));
    row(fmt::format("memory.sram.by_operand.{}.writes", to_string(Operand(o))), r.sram.operand_writes(Operand(o)));
  }
  row("memory.dram.reads", r.dram.total_reads());
  row("memory.dram.writes", r.dram.total_writes());
  for (int o = 0; o < int(Operand::kCount); ++o) {
    row(fmt::format("memory.dram.by_operand.{}.reads", to_string(Operand(o))), r.dram.reads[o]);
    row(fmt::format("memory.dram.by_operand.{}.writes", to_string(Operand(o))), r.dram.writes[o]);
  }
  for (int b = 0; b < int(Buffer::kCount); ++b) {
    int64_t rd = 0, wr = 0;
    for (int o = 0; o < int(Operand::kCount); ++o) rd += r.sram.reads[b][o], wr += r.sram.writes[b][o];
    row(fmt::format("memory.sram.by_buffer.{}.reads", to_string(Buffer(b))), rd);
    row(fmt::format("memory.sram.by_buffer.{}.writes", to_string(Buffer(b))), wr);
  }
  row("energy_pj.total", energy_of(cfg, r).total());
  row("training.steps", r.steps);
  row("training.samples", r.samples);
  for (size_t i = 0; i < r.test_accuracy.size(); ++i) row(fmt::format("training.test_accuracy.{}", i), r.test_accuracy[i]);
  for (size_t i = 0; i < r.train_loss.size(); ++i) row(fmt::format("training.train_loss.{}", i), r.train_loss[i]);
  for (size_t i = 0; i < r.epoch_cycles.size(); ++i) row(fmt::format("training.epoch_end_cycles.{}", i), r.epoch_cycles[i]);
  if (!r.test_accuracy.empty()) row("training.final_test_accuracy", r.test_accuracy.back());
  if (!r.train_loss.empty()) row("training.final_train_loss", r.train_loss.back());
  if (r.accuracy) row("inference.accuracy", *r.accuracy);
  row("cosim.tlm_cycles", r.cosim_tlm_cycles);
  row("cosim.rtl_cycles", r.cosim_rtl_cycles);
  row("cosim.mismatches", r.cosim_mismatches);
  for (const auto& l : r.layers) {
    row(fmt::format("layers.{}.cycles", l.index), l.cycles);
    row(fmt::format("layers.{}.stall_cycles", l.index), l.stall_cycles);
    row(fmt::format("layers.{}.tiles", l.index), l.tiles);
    row(fmt::format("layers.{}.macs", l.index), l.macs);
    for (int p = int(Phase::kLoad); p < int(Phase::kCount); ++p)
      row(fmt::format("layers.{}.phase_cycles.{}", l.index, to_string(Phase(p))), l.phase_cycles[p]);
    row(fmt::format("layers.{}.sram.reads", l.index), l.sram.total_reads());
    row(fmt::format("layers.{}.sram.writes", l.index), l.sram.total_writes());
  }
  for (const auto& o : r.ops) {
    const std::string k = fmt::format("ops.{}.{}", o.layer, o.op);
    row(k + ".cycles", o.cycles);
    row(k + ".tiles", o.tiles);
    row(k + ".macs", o.macs);
    row(k + ".sram.reads", o.sram.total_reads());
    row(k + ".sram.writes", o.sram.total_writes());
  }
  return s;
}

std::string report_summary(const Config& cfg, const RunResult& r) {
  const Energy e = energy_of(cfg, r);
  std::string s;
  s += fmt::format("systrain {} | {} | {} backend | {}x{} array, {} dataflow\n", SYSTRAIN_VERSION, r.schedule,
                   r.backend, r.rows, r.cols, to_string(cfg.schedule.forward_dataflow));
  s += fmt::format("  steps {:>12}   samples {:>12}   tiles {:>12}\n", r.steps, r.samples, r.tiles);
  s += fmt::format("  cycles {:>11}   ({:.6f} s at {} MHz)   utilization {:.1f}%\n", r.cycles_total,
                   static_cast<double>(r.cycles_total) / (cfg.accelerator.clock_mhz * 1e6), cfg.accelerator.clock_mhz,
                   100 * utilization_of(r));
  s += fmt::format("    forward {:>11}   backward {:>11}   update {:>11}   waiting for DRAM {:>11}\n", r.cycles_forward,
                   r.cycles_backward, r.cycles_update, r.cycles_stall);
  s += fmt::format("  MACs {:>13}\n", r.macs);
  s += fmt::format("  {:<14}{:>14}{:>14}{:>14}{:>14}\n", "SRAM words", "reads", "writes", "DRAM reads", "DRAM writes");
  for (int o = 0; o < int(Operand::kCount); ++o)
    s += fmt::format("  {:<14}{:>14}{:>14}{:>14}{:>14}\n", to_string(Operand(o)), r.sram.operand_reads(Operand(o)),
                     r.sram.operand_writes(Operand(o)), r.dram.reads[o], r.dram.writes[o]);
  s += fmt::format("  {:<14}{:>14}{:>14}{:>14}{:>14}\n", "total", r.sram.total_reads(), r.sram.total_writes(),
                   r.dram.total_reads(), r.dram.total_writes());
  s += fmt::format("  energy {:.4g} uJ (MAC {:.4g}, SRAM {:.4g}, DRAM {:.4g})\n", e.total() * 1e-6, e.mac * 1e-6,
                   e.sram * 1e-6, e.dram * 1e-6);
  if (r.accuracy) s += fmt::format("  top-1 accuracy {:.2f}% (untrained weights)\n", 100 * *r.accuracy);
  for (size_t i = 0; i < r.test_accuracy.size(); ++i)
    s += fmt::format("  epoch {}: test accuracy {:.2f}%, mean training loss {:.4f}, cycles {}\n", i + 1,
                     100 * r.test_accuracy[i], r.train_loss[i], r.epoch_cycles[i] - (i ? r.epoch_cycles[i - 1] : 0));
  if (r.cosim)
    s += fmt::format("  cosim: tlm {} cycles, rtl {} cycles, {} access events and {} words compared, {} mismatches\n",
                     r.cosim_tlm_cycles, r.cosim_rtl_cycles, r.cosim_events_compared, r.cosim_words_compared,
                     r.cosim_mismatches);
  return s;
}

std::string write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  std::vector<std::string> temps;
  auto cleanup = [&] {
    std::error_code ec;
    for (auto& t : temps) fs::remove(t, ec);
  };
  for (const auto& [path, content] : files) {
    const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) { cleanup(); return fmt::format("cannot write {}", path); }
    temps.push_back(tmp);
    const bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
    if (std::fclose(f) != 0 || !ok) { cleanup(); return fmt::format("cannot write {}", path); }
  }
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    fs::rename(temps[i], files[i].first, ec);
    if (ec) { cleanup(); return fmt::format("cannot write {}: {}", files[i].first, ec.message()); }
  }
  return "";
}

}  // namespace systrain
