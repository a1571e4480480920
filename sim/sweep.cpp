#include "sweep.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "report.h"
#include "yaml_loader.h"

extern char** environ;

namespace systrain {

bool split_sweep_set(const std::string& set, std::string& key, std::vector<std::string>& values) {
  const auto eq = set.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == set.size()) return false;
  key = set.substr(0, eq);
  values.clear();
  int depth = 0;
  std::string cur;
  for (char c : set.substr(eq + 1)) {
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      values.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  values.push_back(cur);
  for (const auto& v : values)
    if (v.empty()) return false;
  return true;
}

std::map<std::string, std::string> read_csv(const std::string& path) {
  std::map<std::string, std::string> m;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    if (comma != std::string::npos) m[line.substr(0, comma)] = line.substr(comma + 1);
  }
  return m;
}

std::vector<int> run_children(const std::string& self, const std::vector<std::vector<std::string>>& arg_lists, int jobs) {
  std::vector<int> codes(arg_lists.size(), -1);
  std::map<pid_t, size_t> running;
  size_t next = 0;
  while (next < arg_lists.size() || !running.empty()) {
    while (next < arg_lists.size() && static_cast<int>(running.size()) < jobs) {
      std::vector<std::string> args = arg_lists[next];
      args.insert(args.begin(), self);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      pid_t pid = 0;
      if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
        fmt::print(stderr, "systrain: cannot start {}\n", self);
        codes[next++] = 1;
        continue;
      }
      running[pid] = next++;
    }
    int status = 0;
    const pid_t done = ::wait(&status);
    if (done < 0) break;
    auto it = running.find(done);
    if (it == running.end()) continue;
    codes[it->second] = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    running.erase(it);
  }
  return codes;
}

int run_sweep(const std::string& self, const std::string& config, const std::vector<std::string>& sets, int jobs,
              const std::string& out_dir) {
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;
  for (const auto& s : sets) {
    std::string k;
    std::vector<std::string> v;
    if (!split_sweep_set(s, k, v)) {
      fmt::print(stderr, "--set {}: expected KEY=V1,V2,...\n", s);
      return 2;
    }
    keys.push_back(k);
    values.push_back(v);
  }
  if (keys.empty()) {
    fmt::print(stderr, "sweep: give at least one --set KEY=V1,V2,...\n");
    return 2;
  }
  if (jobs < 1) {
    fmt::print(stderr, "--jobs: expected a positive integer, found {}\n", jobs);
    return 2;
  }
  // every combination, validated before anything runs
  std::vector<std::vector<std::string>> combos{{}};
  for (const auto& vs : values) {
    std::vector<std::vector<std::string>> next;
    for (const auto& c : combos)
      for (const auto& v : vs) {
        next.push_back(c);
        next.back().push_back(v);
      }
    combos = next;
  }
  int bad = 0;
  for (const auto& c : combos) {
    std::vector<std::string> ov;
    for (size_t i = 0; i < keys.size(); ++i) ov.push_back(keys[i] + "=" + c[i]);
    const LoadedConfig lc = load_config(config, ov);
    for (const auto& e : lc.errors) fmt::print(stderr, "{}\n", e.str()), ++bad;
  }
  if (bad) {
    fmt::print(stderr, "systrain: {} error{} in the sweep; nothing was run\n", bad, bad == 1 ? "" : "s");
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    fmt::print(stderr, "--out: cannot create the folder {}\n", out_dir);
    return 2;
  }
  // run them, `jobs` at a time
  auto run_dir = [&](size_t i) { return fmt::format("{}/run_{:03}", out_dir, i); };
  std::vector<std::vector<std::string>> arg_lists;
  for (size_t i = 0; i < combos.size(); ++i) {
    std::vector<std::string> args{"run", config, "--quiet", "--out", run_dir(i)};
    for (size_t k = 0; k < keys.size(); ++k) args.insert(args.end(), {"--set", keys[k] + "=" + combos[i][k]});
    arg_lists.push_back(args);
  }
  const std::vector<int> codes = run_children(self, arg_lists, jobs);
  // the summary: one row per run
  const std::vector<std::string> cols{"cycles.total",        "cycles.forward",     "cycles.backward",
                                      "cycles.update",       "cycles.stall",       "macs",
                                      "utilization",         "memory.sram.reads",  "memory.sram.writes",
                                      "memory.dram.reads",   "memory.dram.writes", "energy_pj.total",
                                      "training.final_test_accuracy", "training.final_train_loss"};
  std::string csv = "run";
  for (const auto& k : keys) csv += "," + k;
  for (const auto& c : cols) csv += "," + c;
  csv += ",exit_code\n";
  std::string table;
  int failed = 0;
  for (size_t i = 0; i < combos.size(); ++i) {
    const auto m = read_csv(run_dir(i) + "/report.csv");
    std::string row = fmt::format("run_{:03}", i);
    for (const auto& v : combos[i]) row += ",\"" + v + "\"";
    for (const auto& c : cols) row += "," + (m.count(c) ? m.at(c) : std::string());
    row += fmt::format(",{}\n", codes[i]);
    csv += row;
    failed += codes[i] != 0;
    std::string settings;
    for (size_t k = 0; k < keys.size(); ++k) settings += fmt::format("{}{}={}", k ? " " : "", keys[k], combos[i][k]);
    table += fmt::format("  run_{:03}  {:<50} cycles {:>14}  {}\n", i, settings,
                         m.count("cycles.total") ? m.at("cycles.total") : "-", codes[i] == 0 ? "ok" : "FAILED");
  }
  const std::string err = write_files_atomically({{out_dir + "/sweep.csv", csv}});
  fmt::print("{}", table);
  if (!err.empty()) {
    fmt::print(stderr, "systrain: {}\n", err);
    return 1;
  }
  fmt::print("  summary: {}/sweep.csv\n", out_dir);
  if (failed) fmt::print(stderr, "systrain: {} of {} runs failed\n", failed, combos.size());
  return failed ? 1 : 0;
}

}  // namespace systrain
