#include "report.h"

#include <fmt/format.h>
#include <unistd.h>
#include <sys/file.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "counters.h"
#include "interrupt.h"

namespace systrain {

namespace {
Energy energy(const Config& cfg, int64_t macs, int64_t vector_elements, const AccessCounts& sram, const DramCounts& dram) {
  const auto& e = cfg.accelerator.energy_pj;
  Energy out;
  out.mac = static_cast<double>(macs) * e.mac;
  for (int b = 0; b < int(Buffer::kCount); ++b)
    out.sram_buffer[b] = static_cast<double>(sram.buffer_reads(Buffer(b)) + sram.buffer_writes(Buffer(b))) * e.sram_word;
  out.dram = static_cast<double>(dram.total_reads() + dram.total_writes()) * e.dram_word;
  out.vector = static_cast<double>(vector_elements) * e.vector_element;
  return out;
}
}  // namespace

Energy energy_of(const Config& cfg, const RunResult& r) { return energy(cfg, r.macs, r.vector_elements, r.sram, r.dram); }

Energy energy_of(const Config& cfg, const StageTotals& s) { return energy(cfg, s.macs, s.vector_elements, s.sram, s.dram); }

double utilization_of(const RunResult& r) {
  // dual speculative engines are two arrays; the edge trainer: its multipliers
  const double arrays = r.spec.ran && r.spec.engines == "dual" ? 2.0 : 1.0;
  const double units = r.edge.ran ? static_cast<double>(r.edge.multipliers) : static_cast<double>(r.rows) * r.cols * arrays;
  const double slots = static_cast<double>(r.cycles_total) * units;
  return slots > 0 ? static_cast<double>(r.macs) / slots : 0.0;
}

ReportTexts report_texts(const Config& cfg, const RunResult& r) {
  const Counters c = counters_of(cfg, r);
  ReportTexts t;
  t.json = counters_json(c);
  t.csv = counters_csv(c);
  if (cfg.simulation.report_detail != ReportDetail::kTotals) t.layers_csv = layers_csv(cfg, r);
  return t;
}

std::string layers_csv(const Config& cfg, const RunResult& r) {
  std::string s = "layer,type,gemm_index,stage,ops,tiles,cycles,dram_wait_cycles,engine_wait_cycles,"
                  "bandwidth_stall_cycles,macs,utilization,sram_reads,sram_writes";
  for (int o = 0; o < int(Operand::kCount); ++o)
    s += fmt::format(",sram_{0}_reads,sram_{0}_writes", to_string(Operand(o)));
  s += ",energy_pj_mac_sram\n";
  static const char* const kStage[] = {"forward", "backward", "update"};
  const int stages = r.training ? 3 : 1;
  // the ops of each layer and stage, in one pass over them
  std::vector<std::array<OpStats, 3>> sum(r.layers.size());
  for (const OpStats& o : r.ops) {
    if (o.layer < 0 || o.layer >= static_cast<int>(sum.size()) || o.stage < 0 || o.stage > 2) continue;
    OpStats& a = sum[o.layer][o.stage];
#define SYSTRAIN_OP_SUM(name, unit, help) a.name += o.name;
    SYSTRAIN_OP_COUNTERS(SYSTRAIN_OP_SUM)
#undef SYSTRAIN_OP_SUM
    a.sram += o.sram;
  }
  const auto& e = cfg.accelerator.energy_pj;
  const double arrays = r.spec.ran && r.spec.engines == "dual" ? 2.0 : 1.0;
  for (size_t l = 0; l < r.layers.size(); ++l) {
    if ((l & 1023) == 1023 && g_interrupted.load(std::memory_order_relaxed)) break;
    for (int st = 0; st < stages; ++st) {
      const OpStats& a = sum[l][st];
      const double units = r.edge.ran ? static_cast<double>(r.edge.multipliers) : static_cast<double>(r.rows) * r.cols * arrays;
      const double slots = static_cast<double>(a.cycles) * units;
      s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}", l, r.layers[l].type,
                       r.layers[l].gemm_index >= 0 ? std::to_string(r.layers[l].gemm_index) : std::string(), kStage[st],
                       a.count, a.tiles, a.cycles, a.dram_wait_cycles, a.engine_wait_cycles, a.bandwidth_stall_cycles,
                       a.macs, slots > 0 ? static_cast<double>(a.macs) / slots : 0.0, a.sram.total_reads(),
                       a.sram.total_writes());
      for (int o = 0; o < int(Operand::kCount); ++o)
        s += fmt::format(",{},{}", a.sram.operand_reads(Operand(o)), a.sram.operand_writes(Operand(o)));
      s += fmt::format(",{}\n", static_cast<double>(a.macs) * e.mac +
                                     static_cast<double>(a.sram.total_reads() + a.sram.total_writes()) * e.sram_word);
    }
  }
  return s;
}

std::vector<std::string> memory_warnings(const Config& cfg, const RunResult& r) {
  std::vector<std::string> out;
  const double total = static_cast<double>(std::max<int64_t>(1, r.cycles_total));
  const Energy e = energy_of(cfg, r);
  const auto& sram = cfg.accelerator.sram;
  // DRAM traffic beyond the compulsory, by tensor
  const int64_t n_last = r.layers.empty() ? 0 : r.layers.back().gemm.n;
  std::array<int64_t, int(Operand::kCount)> extra{};
  for (int o = 0; o < int(Operand::kCount); ++o) extra[o] = r.dram.reads[o] + r.dram.writes[o];
  extra[int(Operand::kX)] -= r.samples * r.input_words;
  extra[int(Operand::kW)] -= r.weight_words;
  extra[int(Operand::kY)] -= r.samples * n_last;
  int64_t avoidable = 0;
  int worst = 0;
  for (int o = 0; o < int(Operand::kCount); ++o) {
    extra[o] = std::max<int64_t>(0, extra[o]);
    avoidable += extra[o];
    if (extra[o] > extra[worst]) worst = o;
  }
  const double wait = static_cast<double>(r.cycles_stall) / total;
  const double extra_energy = e.total() > 0 ? static_cast<double>(avoidable) * cfg.accelerator.energy_pj.dram_word / e.total() : 0;
  if (avoidable > 0 && (wait > 0.10 || extra_energy > 0.25)) {
    const Operand op = Operand(worst);
    const auto kib = [&](int64_t words) { return (words * cfg.word_bits() + 8191) / 8192; };
    std::string what;
    const bool fits = kib(r.weight_words) <= sram.weights_kib;
    if (op == Operand::kW && fits && cfg.schedule.kind == ScheduleKind::kSpeculative &&
        cfg.schedule.speculation.engines == Engines::kDual)
      what = fmt::format("the two arrays of the dual speculative engines pass the updated weights ({} words) through "
                         "DRAM every step ({} words in all); schedule.speculation.engines: split shares one array "
                         "and its SRAM",
                         r.weight_words, extra[worst]);
    else if (op == Operand::kW && fits)
      what = fmt::format("the weights ({} words) are read from DRAM again and again ({} words in all)", r.weight_words,
                         extra[worst]);
    else if (op == Operand::kW)
      what = fmt::format("the weights ({} words, {} KiB) do not fit accelerator.sram.weights_kib ({} KiB) and are fetched "
                         "again every step ({} words in all); raise weights_kib to {}",
                         r.weight_words, kib(r.weight_words), sram.weights_kib, extra[worst], kib(r.weight_words));
    else if (op == Operand::kX || op == Operand::kMask)
      what = fmt::format("the activations stashed for the backward pass or passed between layers ({} words a sample) "
                         "spill from accelerator.sram.activations_kib ({} KiB) to DRAM ({} words in all); raise "
                         "activations_kib, or lower training.batch",
                         r.stash_words, sram.activations_kib, extra[worst]);
    else
      what = fmt::format("the {} tensors spill from accelerator.sram.gradients_kib ({} KiB) to DRAM ({} words in all); "
                         "raise gradients_kib, or lower training.batch",
                         to_string(op), sram.gradients_kib, extra[worst]);
    out.push_back(fmt::format("memory dominates: {:.0f} % of the cycles wait for DRAM, and DRAM traffic beyond the "
                              "compulsory (each input, the weights and the outputs once) takes {:.0f} % of the energy; "
                              "most of it: {}",
                              100 * wait, 100 * extra_energy, what));
  }
  const double bw = static_cast<double>(r.cycles_bandwidth_stall) / total;
  if (bw > 0.10)
    out.push_back(fmt::format("the SRAM's bandwidth or banks freeze the array for {:.0f} % of the cycles ({} cycles): "
                              "raise accelerator.sram.words_per_cycle (now {}) or accelerator.sram.banks (now {})",
                              100 * bw, r.cycles_bandwidth_stall, sram.words_per_cycle, sram.banks));
  return out;
}

namespace {
// 20158494667 -> "20,158,494,667"
std::string grouped(double v) {
  const std::string d = fmt::format("{:.0f}", std::abs(v));
  std::string o;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) o += ',';
    o += d[i];
  }
  return (v < 0 ? "-" : "") + o;
}
}  // namespace

std::string report_summary(const Config& cfg, const RunResult& r) {
  // a view of the run's figures, formatted from the result itself: the
  // counters' names live in counters.cpp alone
  const Energy e = energy_of(cfg, r);
  std::string s;
  if (r.edge.ran)
    s += fmt::format("systrain {} | {} | {} backend | edge trainer: {} junctions, {} rows a junction, {} clocks a block, "
                     "{} multipliers\n",
                     SYSTRAIN_VERSION, r.schedule, r.backend, r.edge.junctions, r.edge.rows, r.edge.cpc,
                     r.edge.multipliers);
  else
    s += fmt::format("systrain {} | {} | {} backend | {}x{} array, {} forward dataflow\n", SYSTRAIN_VERSION, r.schedule,
                     r.backend, r.rows, r.cols, to_string(cfg.schedule.forward_dataflow));
  s += fmt::format("  steps {:>12}   samples {:>12}   tiles {:>12}\n", r.steps, r.samples, r.tiles);
  s += fmt::format("  cycles {:>11}   ({:.6f} s at {} MHz)   utilization {:.1f}%\n", r.cycles_total,
                   static_cast<double>(r.cycles_total) / (cfg.accelerator.clock_mhz * 1e6), cfg.accelerator.clock_mhz,
                   100 * utilization_of(r));
  s += fmt::format("    forward {:>11}   backward {:>11}   update {:>11}   waiting for DRAM {:>11}\n",
                   r.cycles_forward, r.cycles_backward, r.cycles_update, r.cycles_stall);
  if (r.edge.ran && r.cycles_overlap > 0)
    s += fmt::format("    every junction busy with FF, BP and UP (the blocks between the fill and the drain) {:>11}\n",
                     r.cycles_overlap);
  if (r.spec.ran) {
    const auto& sp = r.spec;
    s += fmt::format("    both engines busy {:>11} ({} engines: forward {} cols, backward {} cols)\n", r.cycles_overlap,
                     sp.engines, sp.forward_cols, sp.backward_cols);
    const double hit_rate =
        sp.hits + sp.misses > 0 ? static_cast<double>(sp.hits) / static_cast<double>(sp.hits + sp.misses) : 0.0;
    s += fmt::format("  speculation ({}, threshold {}): {} hits, {} misses ({:.1f}% hits); table {} words in {}\n",
                     sp.policy, cfg.schedule.speculation.threshold, sp.hits, sp.misses, 100 * hit_rate, sp.table_words,
                     sp.table_in_sram ? "SRAM" : "DRAM");
  }
  if (r.cycles_bandwidth_stall > 0)
    s += fmt::format("    of the tiles' cycles, frozen for SRAM bandwidth or banks: {}\n", r.cycles_bandwidth_stall);
  s += fmt::format("  MACs {:>13}\n", r.macs);
  // 14 characters a column, wider where a count needs it (an LLM step's)
  const int64_t widest = std::max({r.sram.total_reads(), r.sram.total_writes(), r.dram.total_reads(), r.dram.total_writes()});
  const int w = std::max<int>(14, static_cast<int>(std::to_string(widest).size()) + 2);
  const auto row = [&](std::string_view name, auto a, auto b, auto c, auto d) {
    s += fmt::format("  {:<14}{:>{w}}{:>{w}}{:>{w}}{:>{w}}\n", name, a, b, c, d, fmt::arg("w", w));
  };
  row("SRAM words", "reads", "writes", "DRAM reads", "DRAM writes");
  for (int o = 0; o < int(Operand::kCount); ++o)
    row(to_string(Operand(o)), r.sram.operand_reads(Operand(o)), r.sram.operand_writes(Operand(o)), r.dram.reads[o],
        r.dram.writes[o]);
  row("total", r.sram.total_reads(), r.sram.total_writes(), r.dram.total_reads(), r.dram.total_writes());
  // pJ, the report's unit (energy_pj.*), digits grouped by thousands
  s += fmt::format("  energy {} pJ (MAC {}, SRAM {}, DRAM {}, vector {})\n", grouped(e.total()), grouped(e.mac),
                   grouped(e.sram()), grouped(e.dram), grouped(e.vector));
  if (r.training)
    s += fmt::format("    by phase: forward {}, backward {}, update {} pJ\n", grouped(energy_of(cfg, r.stages[0]).total()),
                     grouped(energy_of(cfg, r.stages[1]).total()), grouped(energy_of(cfg, r.stages[2]).total()));
  if (r.accuracy) s += fmt::format("  top-1 accuracy {:.2f}% (untrained weights)\n", 100 * *r.accuracy);
  for (size_t ep = 0; ep < r.test_accuracy.size(); ++ep)
    s += fmt::format("  epoch {}: test accuracy {:.2f}%, mean training loss {:.4f}, cycles {}\n", ep + 1,
                     100 * r.test_accuracy[ep], r.train_loss[ep], r.epoch_cycles[ep] - (ep ? r.epoch_cycles[ep - 1] : 0));
  if (r.cosim)
    s += fmt::format("  cosim: tlm {} cycles, rtl {} cycles, {} access events and {} words compared, {} mismatches\n",
                     r.cosim_tlm_cycles, r.cosim_rtl_cycles, r.cosim_events_compared, r.cosim_words_compared,
                     r.cosim_mismatches);
  for (const auto& w : r.warnings) s += fmt::format("  warning: {}\n", w);
  return s;
}

std::string probe_writable(const std::string& dir) {
  const std::string probe = fmt::format("{}/.systrain-probe.{}", dir, ::getpid());
  FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) return std::strerror(errno);
  std::fclose(f);
  std::remove(probe.c_str());
  return "";
}

std::string prepare_out_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    return fmt::format("cannot create the folder {}{}", dir, ec ? ": " + ec.message() : "");
  if (const std::string why = probe_writable(dir); !why.empty()) return fmt::format("cannot write in {}: {}", dir, why);
  return "";
}

BatchLock::~BatchLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string BatchLock::take(const std::string& dir) {
  const std::string path = dir + "/.systrain.batch.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    return err == EWOULDBLOCK ? fmt::format("another compare or sweep is writing into {} (it holds {}); wait for it, "
                                            "or give another --out",
                                            dir, path)
                              : fmt::format("cannot lock {}: {}", path, std::strerror(err));
  }
  return "";
}

std::string write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files,
                                   const std::vector<std::string>& stale) {
  // Each file goes to a temporary name first (written, checked, flushed to
  // disk), then all are renamed into place; a file that was there before is
  // kept under a backup name until every rename has worked, so a failure
  // puts back what was there: the files appear together or not at all.
  namespace fs = std::filesystem;
  std::vector<std::string> temps, backups(files.size());
  std::vector<bool> existed(files.size(), false);
  auto error = [](const std::string& path, int err) {
    return fmt::format("cannot write {}: {}", path, std::strerror(err));
  };
  auto cleanup = [&] {
    std::error_code ec;
    for (auto& t : temps) fs::remove(t, ec);
  };
  for (const auto& [path, content] : files) {
    const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) {
      const int err = errno;
      cleanup();
      return error(path, err);
    }
    temps.push_back(tmp);
    bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size() && std::fflush(f) == 0 &&
              ::fsync(::fileno(f)) == 0;
    int err = ok ? 0 : errno;
    if (std::fclose(f) != 0 && ok) ok = false, err = errno;
    if (!ok) {
      cleanup();
      return error(path, err ? err : EIO);
    }
  }
  if (g_interrupted.load()) {  // a signal while the files were written: none of them
    cleanup();
    return "interrupted; no report was written";
  }
  // Two processes writing into one folder (two runs with the same --out)
  // rename their sets one after the other, never interleaved: a lock on the
  // folder of the first file, held until the last rename (released on close)
  struct FolderLock {
    int fd = -1;
    explicit FolderLock(const std::string& dir) {
      fd = ::open((dir + "/.systrain.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) ::flock(fd, LOCK_EX);
    }
    ~FolderLock() {
      if (fd >= 0) ::close(fd);
    }
  } lock(files.empty() ? std::string(".")
                       : fs::path(files[0].first).parent_path().empty() ? std::string(".")
                                                                        : fs::path(files[0].first).parent_path().string());
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    if (fs::is_regular_file(files[i].first, ec)) {
      backups[i] = fmt::format("{}.bak.{}", files[i].first, ::getpid());
      if (::link(files[i].first.c_str(), backups[i].c_str()) != 0) backups[i].clear();
      existed[i] = true;
    }
  }
  auto drop_backups = [&] {
    std::error_code ec;
    for (auto& b : backups)
      if (!b.empty()) fs::remove(b, ec);
  };
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    fs::rename(temps[i], files[i].first, ec);
    if (ec) {
      // undo the renames before this one, then drop what is left
      for (size_t j = 0; j < i; ++j) {
        std::error_code e2;
        if (existed[j] && !backups[j].empty()) fs::rename(backups[j], files[j].first, e2);
        else if (!existed[j]) fs::remove(files[j].first, e2);
      }
      cleanup();
      drop_backups();
      return fmt::format("cannot write {}: {}", files[i].first, ec.message());
    }
  }
  for (const auto& path : stale) {
    std::error_code ec;
    fs::remove(path, ec);  // (a folder we have just renamed files into)
  }
  drop_backups();
  return "";
}

}  // namespace systrain
