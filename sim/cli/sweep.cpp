#include "sweep.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "counters.h"
#include "fnv1a.h"
#include "report.h"
#include "samples.h"
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

namespace {
void on_stop(int) { g_interrupted.store(true); }
}  // namespace

std::vector<int> run_children(const std::string& self, const std::vector<std::vector<std::string>>& arg_lists, int jobs) {
  // SIGINT, SIGTERM and SIGHUP stop the batch: no run starts any more, the
  // running ones get SIGTERM (each then writes nothing) and are waited for.
  // No SA_RESTART: the signal ends the wait below.
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
  std::vector<int> codes(arg_lists.size(), -1);
  std::map<pid_t, size_t> running;
  size_t next = 0, finished = 0, failed = 0;
  bool forwarded = false, shown = false;
  const bool tty = isatty(2);
  while (next < arg_lists.size() || !running.empty()) {
    if (g_interrupted.load()) {
      if (!forwarded)
        for (const auto& [pid, _] : running) ::kill(pid, SIGTERM);
      forwarded = true;
      if (running.empty()) break;
    }
    while (!g_interrupted.load() && next < arg_lists.size() && static_cast<int>(running.size()) < jobs) {
      std::vector<std::string> args = arg_lists[next];
      args.insert(args.begin(), self);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      pid_t pid = 0;
      // a run's stdout (its report line) would mix with the table: its
      // errors, on stderr, still show
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
      const int spawned = posix_spawn(&pid, self.c_str(), &fa, nullptr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&fa);
      if (spawned != 0) {
        fmt::print(stderr, "systrain: cannot start {}\n", self);
        codes[next++] = 1;
        continue;
      }
      running[pid] = next++;
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t done = ::wait(&status);
    if (done < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto it = running.find(done);
    if (it == running.end()) continue;
    codes[it->second] = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    failed += codes[it->second] != 0;
    running.erase(it);
    // how far the batch is: redrawn on a terminal, a line a run in a log
    if (++finished < arg_lists.size() && !g_interrupted.load())
      fmt::print(stderr, "{}systrain: {}/{} runs done{}{}", tty ? "\r" : "", finished, arg_lists.size(),
                 failed ? fmt::format(" ({} failed)", failed) : "", tty ? "" : "\n");
    shown = shown || tty;
  }
  if (shown) fmt::print(stderr, "\r{:<60}\r", "");  // the table follows
  return codes;
}

namespace {

// the columns of sweep.csv after the settings: the counters declared for it
// (model/report/counters.cpp)
const std::vector<std::string>& sweep_cols() {
  static const std::vector<std::string> cols = sweep_columns();
  return cols;
}

// the records of a CSV text: line breaks inside quotes belong to the field
std::vector<std::string> split_records(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;  // a doubled quote toggles twice
    if (c == '\n' && !quoted) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::string> split_row(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') quoted = false;
      else cur += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

// a field as RFC 4180 quotes it: in double quotes, a quote doubled (a comma
// or a line break inside stays part of the field)
std::string csv_field(const std::string& v) {
  std::string o = "\"";
  for (char c : v) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string sweep_header(const std::vector<std::string>& keys) {
  std::string csv = "run";
  for (const auto& k : keys) csv += "," + k;
  for (const auto& c : sweep_cols()) csv += "," + c;
  return csv + ",exit_code\n";
}

std::string sweep_row(size_t index, const std::vector<std::string>& settings,
                      const std::map<std::string, std::string>& report, int exit_code) {
  std::string row = fmt::format("run_{:03}", index);
  for (const auto& v : settings) row += "," + csv_field(v);
  for (const auto& c : sweep_cols()) row += "," + (report.count(c) ? report.at(c) : std::string());
  return row + fmt::format(",{}\n", exit_code);
}

bool read_table(const std::string& path, std::vector<std::string>& header,
                std::vector<std::vector<std::string>>& rows, std::string& error) {
  // a FIFO or a device would block or never end: only regular files, of a sane size
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
    error = fmt::format("{}: not a regular file", path);
    return false;
  }
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > (uintmax_t{1} << 30)) {
    error = fmt::format("{}: {} bytes; a table of at most 1 GiB is read", path, size);
    return false;
  }
  std::ifstream in(path);
  if (!in) {
    error = fmt::format("{}: cannot read it", path);
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_table(text.str(), path, header, rows, error);
}

bool parse_table(const std::string& text, const std::string& path, std::vector<std::string>& header,
                 std::vector<std::vector<std::string>>& rows, std::string& error) {
  const std::vector<std::string> records = split_records(text);
  if (records.empty() || records[0].empty()) {
    error = fmt::format("{}: no header line", path);
    return false;
  }
  header = split_row(records[0]);
  rows.clear();
  for (size_t n = 2; n <= records.size(); ++n) {
    const std::string& line = records[n - 1];
    if (line.empty()) continue;
    rows.push_back(split_row(line));
    if (rows.back().size() != header.size()) {
      error = fmt::format("{}:{}: {} fields, the header has {}", path, n, rows.back().size(), header.size());
      return false;
    }
  }
  return true;
}

// a sweep is a set of runs; more than this many points is a mistake, not a plan
constexpr int64_t kMaxSweepPoints = 10000;

// what identifies a sweep: its config's path and every point's settings
uint64_t sweep_fingerprint(const std::string& config, const std::vector<std::string>& keys,
                           const std::vector<std::vector<std::string>>& combos) {
  std::string s = config + '\0';
  for (const auto& k : keys) s += k + '\0';
  for (const auto& c : combos)
    for (const auto& v : c) s += v + '\0';
  return fnv1a(s.data(), s.size());
}

int run_sweep(const std::string& self, const std::string& config, const std::vector<std::string>& sets, int jobs,
              const std::string& out_dir, const std::string& shard) {
  int64_t shard_i = 0, shard_n = 1;
  if (!shard.empty()) {
    char* end = nullptr;
    const auto slash = shard.find('/');
    if (slash != std::string::npos) {
      errno = 0;
      shard_i = std::strtoll(shard.c_str(), &end, 10);
      const bool i_ok = end == shard.c_str() + slash && slash > 0 && errno == 0;
      shard_n = std::strtoll(shard.c_str() + slash + 1, &end, 10);
      if (!i_ok || *end != '\0' || slash + 1 == shard.size() || errno == ERANGE) shard_n = 0;
    } else {
      shard_n = 0;
    }
    if (shard_n < 1 || shard_i < 0 || shard_i >= shard_n) {
      fmt::print(stderr, "--shard: expected I/N with 0 <= I < N (this process runs points I, I+N, ...), found '{}'\n",
                 shard);
      return 2;
    }
  }
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;
  for (const auto& s : sets) {
    std::string k;
    std::vector<std::string> v;
    if (!split_sweep_set(s, k, v)) {
      fmt::print(stderr, "--set {}: expected KEY=V1,V2,...\n", s);
      return 2;
    }
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) {
      fmt::print(stderr, "--set {}: {} is swept twice; give all its values in one --set\n", s, k);
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
  // the points, bounded before any is made: each is a run
  int64_t points_n = 1;
  for (const auto& vs : values) {
    points_n *= static_cast<int64_t>(vs.size());
    if (points_n > kMaxSweepPoints) {
      fmt::print(stderr, "sweep: more than {} points (the --set values multiply); sweep fewer values at once, or "
                         "split the sweep\n", kMaxSweepPoints);
      return 2;
    }
  }
  if (shard_n > points_n) {
    fmt::print(stderr, "--shard {}: {} shards for {} points; give at most as many shards as points\n", shard, shard_n,
               points_n);
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
  BatchLock lock;
  std::string why = prepare_out_dir(out_dir);
  if (why.empty()) why = lock.take(out_dir);
  if (!why.empty()) {
    fmt::print(stderr, "--out: {}\n", why);
    return 2;
  }
  {  // a folder an earlier sweep wrote is replaced whole: its run_NNN folders,
     // sweep.csv and shard.txt go (an old run_007 beside 3 new runs misled)
    std::error_code dec;
    int removed = 0;
    for (const auto& e : std::filesystem::directory_iterator(out_dir, dec)) {
      const std::string name = e.path().filename().string();
      const bool run = name.size() > 4 && name.rfind("run_", 0) == 0 &&
                       std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
      std::error_code rec;
      if (run && e.is_directory(rec)) std::filesystem::remove_all(e.path(), rec), ++removed;
    }
    for (const char* f : {"/sweep.csv", "/shard.txt"}) std::filesystem::remove(out_dir + f, dec);
    if (removed)
      fmt::print(stderr, "sweep: {} holds an earlier sweep: its {} run folder{} and table were removed\n", out_dir,
                 removed, removed == 1 ? "" : "s");
  }
  // run them (this shard's points), `jobs` at a time
  auto run_dir = [&](size_t i) { return fmt::format("{}/run_{:03}", out_dir, i); };
  std::vector<size_t> points;
  for (size_t i = 0; i < combos.size(); ++i)
    if (static_cast<int64_t>(i) % shard_n == shard_i) points.push_back(i);
  std::vector<std::vector<std::string>> arg_lists;
  for (size_t i : points) {
    std::vector<std::string> args{"run", config, "--quiet", "--out", run_dir(i)};
    for (size_t k = 0; k < keys.size(); ++k) args.insert(args.end(), {"--set", keys[k] + "=" + combos[i][k]});
    arg_lists.push_back(args);
  }
  const std::vector<int> codes = run_children(self, arg_lists, jobs);
  if (g_interrupted.load()) {
    fmt::print(stderr, "systrain: interrupted; the runs were stopped and sweep.csv was not written\n");
    return 1;
  }
  // the summary: one row per run
  std::string csv = sweep_header(keys);
  std::string table;
  int failed = 0;
  for (size_t p = 0; p < points.size(); ++p) {
    const size_t i = points[p];
    // a run that failed wrote nothing: what its folder holds is an earlier sweep's
    const auto m = codes[p] == 0 ? read_csv(run_dir(i) + "/report.csv") : std::map<std::string, std::string>{};
    csv += sweep_row(i, combos[i], m, codes[p]);
    failed += codes[p] != 0;
    std::string settings;
    for (size_t k = 0; k < keys.size(); ++k) settings += fmt::format("{}{}={}", k ? " " : "", keys[k], combos[i][k]);
    table += fmt::format("  run_{:03}  {:<50} cycles {:>14}  {}\n", i, settings,
                         m.count("cycles.total") ? m.at("cycles.total") : "-", codes[p] == 0 ? "ok" : "FAILED");
  }
  std::vector<std::pair<std::string, std::string>> files{{out_dir + "/sweep.csv", csv}};
  // a shard says which it is, so that merge can check it has them all
  if (!shard.empty())
    files.push_back({out_dir + "/shard.txt", fmt::format("{} {} {} {:016x}\n", shard_i, shard_n, combos.size(),
                                                         sweep_fingerprint(config, keys, combos))});
  const std::string err = write_files_atomically(files);
  fmt::print("{}", table);
  if (!err.empty()) {
    fmt::print(stderr, "systrain: {}\n", err);
    return 1;
  }
  fmt::print("  summary: {}/sweep.csv{}\n", out_dir,
             shard.empty() ? "" : fmt::format(" (shard {} of {}: {} of {} points)", shard_i, shard_n, points.size(),
                                              combos.size()));
  if (failed) fmt::print(stderr, "systrain: {} of {} runs failed\n", failed, points.size());
  return failed ? 1 : 0;
}

int merge_sweeps(const std::vector<std::string>& dirs, const std::string& out_dir) {
  if (dirs.empty()) {
    fmt::print(stderr, "sweep merge: give the folders of the shards\n");
    return 2;
  }
  // the output folder is checked before anything is read, as run, compare and sweep do
  if (const std::string why = prepare_out_dir(out_dir); !why.empty()) {
    fmt::print(stderr, "--out: {}\n", why);
    return 2;
  }
  std::vector<std::string> header;
  std::map<int64_t, std::vector<std::string>> rows;  // by run index
  int64_t total = -1, shards = -1;
  std::string fingerprint;
  std::vector<int> seen;
  for (const auto& d : dirs) {
    if (std::error_code fe; !std::filesystem::is_regular_file(d + "/shard.txt", fe)) {
      fmt::print(stderr, "sweep merge: {}/shard.txt: not a regular file (is {} a shard of `systrain sweep --shard`?)\n",
                 d, d);
      return 2;
    }
    std::ifstream st(d + "/shard.txt");
    int64_t i = -1, n = -1, t = -1;
    std::string fp;
    if (!(st >> i >> n >> t >> fp) || n < 1 || i < 0 || i >= n || t < 1 || t > kMaxSweepPoints || n > t) {
      fmt::print(stderr, "sweep merge: {}/shard.txt: missing or damaged (is {} a shard of `systrain sweep --shard`?)\n",
                 d, d);
      return 2;
    }
    if (shards < 0) shards = n, total = t, seen.assign(n, 0), fingerprint = fp;
    if (fp != fingerprint) {
      fmt::print(stderr, "sweep merge: {} is a shard of another sweep (other config or values) than {}\n", d, dirs[0]);
      return 2;
    }
    if (n != shards || t != total) {
      fmt::print(stderr, "sweep merge: {} is shard {} of {} with {} points; the first was of {} with {}\n", d, i, n, t,
                 shards, total);
      return 2;
    }
    if (seen[i]++) {
      fmt::print(stderr, "sweep merge: shard {} of {} is given twice ({})\n", i, n, d);
      return 2;
    }
    std::vector<std::string> h;
    std::vector<std::vector<std::string>> r;
    std::string error;
    if (!read_table(d + "/sweep.csv", h, r, error)) {
      fmt::print(stderr, "sweep merge: {}\n", error);
      return 2;
    }
    if (header.empty()) header = h;
    if (h != header) {
      fmt::print(stderr, "sweep merge: {}/sweep.csv has other columns than {}/sweep.csv (not the same sweep)\n", d,
                 dirs[0]);
      return 2;
    }
    for (auto& row : r) {
      const int64_t idx = row[0].rfind("run_", 0) == 0 ? std::atoll(row[0].c_str() + 4) : -1;
      if (idx < 0 || idx >= total || idx % n != i || rows.count(idx)) {
        fmt::print(stderr, "sweep merge: {}/sweep.csv: row '{}' does not belong to shard {} of {}\n", d, row[0], i, n);
        return 2;
      }
      rows[idx] = row;
    }
  }
  for (int64_t i = 0; i < shards; ++i)
    if (!seen[i]) {
      fmt::print(stderr, "sweep merge: shard {} of {} is missing\n", i, shards);
      return 2;
    }
  if (static_cast<int64_t>(rows.size()) != total) {
    fmt::print(stderr, "sweep merge: {} rows for {} points\n", rows.size(), total);
    return 2;
  }
  if (header.size() < sweep_cols().size() + 2 || header[0] != "run" || header.back() != "exit_code") {
    fmt::print(stderr, "sweep merge: {}/sweep.csv is not a sweep table\n", dirs[0]);
    return 2;
  }
  // rewrite the rows as the sweep wrote them: settings quoted
  const size_t settings = header.size() - sweep_cols().size() - 2;
  std::string csv;
  for (size_t c = 0; c < header.size(); ++c) csv += (c ? "," : "") + header[c];
  csv += "\n";
  for (const auto& [idx, row] : rows) {
    for (size_t c = 0; c < row.size(); ++c)
      csv += (c ? "," : "") + (c >= 1 && c <= settings ? csv_field(row[c]) : row[c]);
    csv += "\n";
  }
  const std::string err = write_files_atomically({{out_dir + "/sweep.csv", csv}});
  if (!err.empty()) {
    fmt::print(stderr, "systrain: {}\n", err);
    return 1;
  }
  fmt::print("  merged {} shards, {} points: {}/sweep.csv\n", shards, total, out_dir);
  return 0;
}

}  // namespace systrain
