// libFuzzer target: sweep.csv's round trip, as `sweep` writes it, `sweep
// merge` joins its shards and `plot` hands it to gnuplot. Input: the bytes
// split at 0x1e: a plot title, then the values of one swept key (up to 8,
// any bytes: quotes, commas, line breaks, NULs). Whatever they are:
//  - `merge` of the shards (sweep_header/sweep_row, in files) succeeds and
//    writes the very table an unsharded sweep writes; read back, every
//    setting is its value again;
//  - `plot` either refuses (only when a string it would hand gnuplot holds a
//    control character) or writes a script whose every string decodes back
//    to what it stands for, on the fixed number of lines, and data lines
//    whose labels stay inside their quotes.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "plot.h"
#include "sweep.h"

using namespace systrain;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  require(static_cast<bool>(f));
}

const std::string& root() {
  static const std::string r = [] {
    char tmpl[] = "/tmp/systrain-fuzz-sweep-XXXXXX";
    require(mkdtemp(tmpl) != nullptr);
    return std::string(tmpl);
  }();
  return r;
}

// the single-quoted strings of a gnuplot script, decoded ('' is a quote),
// and the line breaks outside them; a control character anywhere else fails
std::vector<std::string> gnuplot_strings(const std::string& script, int& lines) {
  std::vector<std::string> out;
  lines = 0;
  for (size_t i = 0; i < script.size(); ++i) {
    const char c = script[i];
    if (c == '\n') {
      ++lines;
      continue;
    }
    require(!has_control(std::string(1, c)));
    if (c != '\'') continue;
    std::string s;
    for (++i;; ++i) {
      require(i < script.size());  // a string that never ends
      if (script[i] == '\'') {
        if (i + 1 < script.size() && script[i + 1] == '\'') {
          s += '\'', ++i;
          continue;
        }
        break;
      }
      require(!has_control(std::string(1, script[i])));  // a line break inside a string starts a command
      s += script[i];
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts{""};
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0x1e) {
      parts.emplace_back();
      continue;
    }
    parts.back() += static_cast<char>(data[i]);
  }
  const std::string title = parts[0];
  std::vector<std::string> values(parts.begin() + 1, parts.end());
  if (values.empty()) values.push_back("");
  if (values.size() > 8) values.resize(8);
  const size_t n = values.size();
  const std::vector<std::string> keys{"training.seed"};

  // what the sweep wrote: every third run failed (no report)
  std::vector<std::string> rows(n);
  std::vector<int> codes(n);
  for (size_t i = 0; i < n; ++i) {
    codes[i] = i % 3 == 2 ? 1 : 0;
    std::map<std::string, std::string> report;
    if (codes[i] == 0) report = {{"cycles.total", std::to_string(1000 + 7 * i)}, {"macs", std::to_string(50 + i)}};
    rows[i] = sweep_row(i, {values[i]}, report, codes[i]);
  }
  std::string whole = sweep_header(keys);
  for (const auto& r : rows) whole += r;

  // its shards, merged
  namespace fs = std::filesystem;
  const size_t shards = std::min<size_t>(2, n);
  std::vector<std::string> dirs;
  for (size_t s = 0; s < shards; ++s) {
    const std::string d = root() + "/shard_" + std::to_string(s);
    fs::create_directories(d);
    std::string csv = sweep_header(keys);
    for (size_t i = s; i < n; i += shards) csv += rows[i];
    write(d + "/sweep.csv", csv);
    write(d + "/shard.txt", std::to_string(s) + " " + std::to_string(shards) + " " + std::to_string(n) +
                                " 0123456789abcdef\n");
    dirs.push_back(d);
  }
  const std::string out = root() + "/merged";
  require(merge_sweeps(dirs, out) == 0);
  std::ifstream in(out + "/sweep.csv", std::ios::binary);
  const std::string merged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  require(merged == whole);  // the table an unsharded sweep writes

  // read back: each setting is its value again
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> table;
  std::string error;
  require(read_table(out + "/sweep.csv", header, table, error));
  require(table.size() == n && header[1] == keys[0] && header.back() == "exit_code");
  for (size_t i = 0; i < n; ++i)
    require(table[i][1] == values[i] && table[i].back() == std::to_string(codes[i]));

  // plotted: one line per value, each point labelled with it
  PlotSpec spec;
  spec.csv = out + "/sweep.csv", spec.x = "cycles.total", spec.y = "macs", spec.by = keys[0], spec.label = keys[0];
  spec.out = "/tmp/out.png", spec.title = title;
  PlotData d;
  const std::string why = plot_data(spec, header, table, d);
  bool control = has_control(title);
  for (size_t i = 0; i < n; ++i) control = control || has_control(values[i]);
  if (!why.empty()) {
    require(control);  // refused only for a control character
    return 0;
  }
  require(!control);
  const std::string dir = "/tmp/systrain-plot-X";
  const std::string script = gnuplot_script(spec, d, dir, "/tmp/out.tmp1.png");
  int lines = 0;
  const std::vector<std::string> strings = gnuplot_strings(script, lines);
  std::vector<std::string> want{"sans,11", "/tmp/out.tmp1.png", title.empty() ? default_title(spec) : title,
                                axis_title(spec.x), axis_title(spec.y)};
  double y_lo = 0, y_hi = 0;
  bool first = true;
  for (const auto& [name, pts] : d.lines)
    for (const auto& p : pts) y_lo = first ? p.y : std::min(y_lo, p.y), y_hi = first ? p.y : std::max(y_hi, p.y), first = false;
  const std::string fx = tick_format(d.x_min, d.x_max), fy = tick_format(y_lo, y_hi);
  if (!fx.empty()) want.push_back(fx);
  if (!fy.empty()) want.push_back(fy);
  int k = 0;
  for (const auto& [name, pts] : d.lines) {
    const std::string file = dir + "/line" + std::to_string(k++) + ".dat";
    want.insert(want.end(), {file, name, file, ",9"});
    require(name == keys[0] + "=" + pts.front().label);
    // a data line: two numbers and the label in double quotes, which it cannot close early
    const std::string text = gnuplot_data(pts);
    require(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) == pts.size());
    size_t at = 0;
    for (const auto& p : pts) {
      const size_t end = text.find('\n', at);
      const std::string line = text.substr(at, end - at);
      at = end + 1;
      const size_t q = line.find('"');
      require(q != std::string::npos && line.back() == '"' && line.find('"', q + 1) == line.size() - 1);
      std::string label = p.label;
      std::replace(label.begin(), label.end(), '"', '\'');
      require(line.substr(q + 1, line.size() - q - 2) == label);
    }
  }
  require(strings == want);
  require(lines == 10 + (fx.empty() ? 0 : 1) + (fy.empty() ? 0 : 1));
  return 0;
}
