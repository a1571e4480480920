#include "compare.h"

#include "config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config_detail.h"
#include "counters.h"
#include "report.h"
#include "samples.h"
#include "sweep.h"
#include "yaml_loader.h"

namespace systrain {
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// a report.json indented to sit inside compare.json
std::string indent(const std::string& json, const std::string& pad) {
  std::string o;
  for (size_t i = 0; i < json.size(); ++i) {
    o += json[i];
    if (json[i] == '\n' && i + 1 < json.size()) o += pad;
  }
  while (!o.empty() && (o.back() == '\n' || o.back() == ' ')) o.pop_back();
  return o;
}

}  // namespace

int run_compare(const std::string& self, const std::string& config, const std::string& schedules,
                const std::vector<std::string>& sets, const std::string& out_dir, const std::string& variants) {
  // the runs: each schedule (baseline first), or, with --variants KEY=V1,V2, each value's schedules
  struct Entry {
    std::string label, folder;
    std::vector<std::string> sets;  // the run's own overrides, after the command's
  };
  std::vector<Entry> entries;
  auto schedules_for = [&](AcceleratorKind kind) {
    std::vector<std::string> k =
        split(schedules.empty() ? (kind == AcceleratorKind::kEdge ? "baseline,pipelined" : "baseline,interleaved")
                                : schedules);
    if (std::find(k.begin(), k.end(), "baseline") == k.end()) k.insert(k.begin(), "baseline");
    return k;
  };
  auto check_schedules = [&](const std::vector<std::string>& k, AcceleratorKind kind) {
    for (const auto& x : k) {
      if (std::count(k.begin(), k.end(), x) > 1) {
        fmt::print(stderr, "--schedules: '{}' is named twice (each schedule runs once, into its own folder)\n", x);
        return false;
      }
      const bool edge = kind == AcceleratorKind::kEdge;
      if (edge ? x != "baseline" && x != "pipelined" : x != "baseline" && x != "interleaved" && x != "speculative") {
        fmt::print(stderr, "--schedules: expected training schedules {}, found '{}'\n",
                   edge ? "baseline or pipelined (the edge trainer's)" : "baseline, interleaved or speculative", x);
        return false;
      }
    }
    return true;
  };
  const LoadedConfig base = load_config(config, sets);
  if (variants.empty()) {
    const auto k = schedules_for(base.config.accelerator.kind);
    if (!check_schedules(k, base.config.accelerator.kind)) return 2;
    for (const auto& x : k) entries.push_back({x, x, {"schedule.kind=" + x}});
  } else {
    const auto eq = variants.find('=');
    const std::string key = eq == std::string::npos ? "" : variants.substr(0, eq);
    const std::vector<std::string> values = eq == std::string::npos ? std::vector<std::string>{} : split(variants.substr(eq + 1));
    if (key.empty() || values.size() < 2) {
      fmt::print(stderr, "--variants: expected KEY=V1,V2[,...] (two values at least), found '{}'\n", variants);
      return 2;
    }
    for (const auto& v : values) {
      if (v.find_first_of("/\\") != std::string::npos || v.empty() || v == "." || v == "..") {
        fmt::print(stderr, "--variants: '{}' cannot name a folder of its runs\n", v);
        return 2;
      }
      std::vector<std::string> vs{key + "=" + v};
      // the array on an edge trainer's network: the same sizes and mask with its own activations and loss
      LoadedConfig probe = load_config(config, [&] { auto o = sets; o.push_back(vs[0]); return o; }());
      const Config& pc = probe.config;
      if (pc.accelerator.kind == AcceleratorKind::kSystolic)
        for (size_t i = 0; i < pc.network.layers.size(); ++i)
          if (pc.network.layers[i].activation == Activation::kSigmoid) {
            vs.push_back(fmt::format("network.layers[{}].activation={}", i,
                                     i + 1 == pc.network.layers.size() ? "none" : "relu"));
            vs.push_back("training.loss=auto");
          }
      const auto k = schedules_for(pc.accelerator.kind);
      if (!check_schedules(k, pc.accelerator.kind)) return 2;
      for (const auto& x : k) {
        auto o = vs;
        o.push_back("schedule.kind=" + x);
        entries.push_back({v + "/" + x, v + "-" + x, o});
      }
    }
  }
  int bad = 0;
  for (const auto& e : entries) {
    std::vector<std::string> ov = sets;
    ov.insert(ov.end(), e.sets.begin(), e.sets.end());
    const LoadedConfig lc = load_config(config, ov);
    for (const auto& x : lc.errors) fmt::print(stderr, "{} ({})\n", x.str(), e.label), ++bad;
  }
  std::vector<std::string> kinds;
  for (const auto& e : entries) kinds.push_back(e.label);
  if (bad) {
    fmt::print(stderr, "systrain: {} error{} in the configuration; nothing was run\n", bad, bad == 1 ? "" : "s");
    return 2;
  }
  BatchLock lock;
  std::string why = prepare_out_dir(out_dir);
  if (why.empty()) why = lock.take(out_dir);
  if (!why.empty()) {
    fmt::print(stderr, "--out: {}\n", why);
    return 2;
  }
  std::vector<std::vector<std::string>> arg_lists;
  for (const auto& e : entries) {
    std::vector<std::string> args{"run", config, "--quiet", "--out", out_dir + "/" + e.folder};
    for (const auto& s : sets) args.insert(args.end(), {"--set", s});
    for (const auto& s : e.sets) args.insert(args.end(), {"--set", s});
    arg_lists.push_back(args);
  }
  // the runs are independent processes: two at a time on this 2-core class of machine
  const std::vector<int> codes = run_children(self, arg_lists, 2);
  if (g_interrupted.load()) {
    fmt::print(stderr, "systrain: interrupted; the runs were stopped and compare.json was not written\n");
    return 1;
  }
  for (size_t i = 0; i < kinds.size(); ++i)
    if (codes[i] != 0) {
      fmt::print(stderr, "systrain: the {} run failed (exit {}); see above\n", kinds[i], codes[i]);
      return codes[i] == 2 ? 2 : 1;
    }
  std::vector<std::map<std::string, std::string>> csv;
  for (const auto& e : entries) csv.push_back(read_csv(out_dir + "/" + e.folder + "/report.csv"));
  // the rows of the table: the counters declared for compare (model/report/
  // counters.cpp), those marked so only when some schedule moved them
  std::vector<std::string> rows;
  auto nonzero = [&](const std::string& key) {
    for (const auto& m : csv)
      if (m.count(key) && m.at(key) != "0") return true;
    return false;
  };
  for (const auto& [key, if_moved] : compare_rows())
    if (!if_moved || nonzero(key)) rows.push_back(key);
  // accuracy per epoch beside the baseline's (when there is more than one)
  const bool epochs = std::any_of(csv.begin(), csv.end(), [](const auto& m) { return m.count("training.by_epoch.1.train_loss"); });
  for (int e = 0; epochs; ++e) {
    const std::string p = fmt::format("training.by_epoch.{}.", e);
    if (!nonzero(p + "train_loss")) break;
    for (const char* k : {"test_accuracy", "train_loss", "hit_rate"})
      if (nonzero(p + k)) rows.push_back(p + k);
  }

  auto num = [](const std::map<std::string, std::string>& m, const std::string& k) {
    return m.count(k) ? std::stod(m.at(k)) : 0.0;
  };
  std::string table = fmt::format("{:<42}", "figure");
  for (const auto& k : kinds) table += fmt::format("{:>16}", k);
  for (size_t i = 1; i < kinds.size(); ++i) table += fmt::format("{:>19}", kinds[i] + (variants.empty() ? "/base" : " ÷ 1st"));
  table += "\n";
  std::string ratios = "{";
  for (size_t i = 1; i < kinds.size(); ++i) {
    ratios += fmt::format("{}\n    \"{}\": {{", i > 1 ? "," : "", kinds[i]);
    for (size_t r = 0; r < rows.size(); ++r) {
      const double b = num(csv[0], rows[r]), v = num(csv[i], rows[r]);
      ratios += fmt::format("{}\n      \"{}\": {}", r ? "," : "", rows[r], b != 0 ? fmt::format("{}", v / b) : "null");
    }
    ratios += "\n    }";
  }
  ratios += "\n  }";
  for (const auto& row : rows) {
    table += fmt::format("{:<42}", row);
    for (const auto& m : csv) {
      const double v = num(m, row);
      table += v == static_cast<double>(static_cast<int64_t>(v)) && std::abs(v) < 1e15
                   ? fmt::format("{:>16}", static_cast<int64_t>(v))
                   : fmt::format("{:>16.4f}", v);
    }
    for (size_t i = 1; i < kinds.size(); ++i) {
      const double b = num(csv[0], row);
      // three decimals; a ratio far from 1 (15,880 against 47.4 M) in four significant digits, not 0.000
      const double q = b != 0 ? num(csv[i], row) / b : 0.0;
      table += b == 0                                    ? fmt::format("{:>19}", "-")
               : q == 0 || (std::abs(q) >= 0.1 && std::abs(q) < 1e4) ? fmt::format("{:>18.3f}x", q)
                                                                     : fmt::format("{:>18.4g}x", q);
    }
    table += "\n";
  }
  std::string json = "{\n  \"config\": " + config_detail::json_str(config) + ",\n  \"schedules\": [";
  for (size_t i = 0; i < kinds.size(); ++i) json += fmt::format("{}\"{}\"", i ? ", " : "", kinds[i]);
  json += "],\n  \"reports\": {";
  for (size_t i = 0; i < kinds.size(); ++i)
    json += fmt::format("{}\n    \"{}\": {}", i ? "," : "", kinds[i],
                        indent(slurp(out_dir + "/" + entries[i].folder + "/report.json"), "    "));
  json += "\n  },\n  \"ratios_to_baseline\": " + ratios + "\n}\n";
  const std::string err = write_files_atomically({{out_dir + "/compare.json", json}});
  if (!err.empty()) {
    fmt::print(stderr, "systrain: {}\n", err);
    return 1;
  }
  // the headline: what each schedule saved against baseline
  std::string headline;
  auto change = [](double v, double b, const char* fewer, const char* more) {
    if (b == 0 || v == b) return std::string("the same");
    const double pct = 100.0 * std::abs(v - b) / b;
    return fmt::format("{:.1f} % {}", pct, v < b ? fewer : more);
  };
  auto accesses = [&](const std::map<std::string, std::string>& m, const char* level) {
    return num(m, fmt::format("memory.{}.reads", level)) + num(m, fmt::format("memory.{}.writes", level));
  };
  for (size_t i = 1; i < kinds.size(); ++i) {
    const auto &b = csv[0], &v = csv[i];
    headline += fmt::format(
        "  {} against {}: {} cycles ({} against {}), {} SRAM accesses, {} DRAM accesses, {} energy", kinds[i],
        kinds[0], change(num(v, "cycles.total"), num(b, "cycles.total"), "fewer", "more"),
        static_cast<int64_t>(num(v, "cycles.total")), static_cast<int64_t>(num(b, "cycles.total")),
        change(accesses(v, "sram"), accesses(b, "sram"), "fewer", "more"),
        change(accesses(v, "dram"), accesses(b, "dram"), "fewer", "more"),
        change(num(v, "energy_pj.total"), num(b, "energy_pj.total"), "less", "more"));
    if (v.count("training.final_test_accuracy") && b.count("training.final_test_accuracy"))
      headline += fmt::format("; test accuracy {:.2f} % ({} {:.2f} %)", 100 * num(v, "training.final_test_accuracy"),
                              kinds[0], 100 * num(b, "training.final_test_accuracy"));
    headline += "\n";
  }
  fmt::print("{}\n{}  compare: {}/compare.json\n", table, headline, out_dir);
  return 0;
}

}  // namespace systrain
