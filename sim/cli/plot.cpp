#include "plot.h"

#include "report.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>
#include <tuple>

#include "interrupt.h"
#include "sweep.h"

extern char** environ;

namespace systrain {

namespace {

std::string gnuplot_str(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
  return o + "'";
}

// a character that would end a gnuplot command line or a data line
bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool parse_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  v = std::strtod(s.c_str(), &end);
  return errno == 0 && *end == '\0' && std::isfinite(v);
}

// a counter of a report.csv read as a map: its number, 0 when absent or not one
double report_number(const std::map<std::string, std::string>& m, const std::string& k) {
  double v = 0;
  return m.count(k) && parse_number(m.at(k), v) ? v : 0.0;
}

void on_stop(int) { g_interrupted.store(true); }

// runs gnuplot on `script` and waits for it; a signal to plot stops gnuplot
// too (SIGTERM, then waited for). Returns gnuplot's exit status, or -1 when
// it could not start.
int run_gnuplot(std::string script) {
  char* argv[] = {const_cast<char*>("gnuplot"), script.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, "gnuplot", nullptr, nullptr, argv, environ) != 0) return -1;
  bool stopped = false;
  int status = 0;
  while (true) {  // polled, so a signal that comes just before a wait is not missed
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (g_interrupted.load() && !stopped) ::kill(pid, SIGTERM), stopped = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

namespace {

// The axes' ranges (5 % of x's span and 8 % of y's beyond the points) and each
// label's place: the first of a ring of spots beside its point, then farther
// out, whose box meets no label placed before it and no point, else the one
// that overlaps least. Pixels are those of the 960x640 PNG's plot area,
// about 830x470; a label is ~6.5 px a character and 13 px high.
void place_labels(PlotData& d, bool logx) {
  double xl = 0, xh = 0, yl = 0, yh = 0;
  bool first = true;
  for (const auto& [name, pts] : d.lines)
    for (const auto& p : pts) {
      const double x = logx ? std::log10(p.x) : p.x;
      xl = first ? x : std::min(xl, x), xh = first ? x : std::max(xh, x);
      yl = first ? p.y : std::min(yl, p.y), yh = first ? p.y : std::max(yh, p.y);
      first = false;
    }
  const auto pad = [](double lo, double hi, double share) {
    const double span = hi - lo > 0 ? hi - lo : std::max(std::abs(hi), 1.0);
    return std::pair{lo - share * span, hi + share * span};
  };
  std::tie(d.x0, d.x1) = pad(xl, xh, 0.05);
  std::tie(d.y0, d.y1) = pad(yl, yh, 0.08);
  if (!d.labels) {
    for (auto& [name, pts] : d.lines)
      for (auto& p : pts) p.lx = p.x, p.ly = p.y;
    return;
  }
  constexpr double W = 830, H = 470, kChar = 6.5, kHigh = 13;
  const auto px = [&](double x) { return ((logx ? std::log10(x) : x) - d.x0) / (d.x1 - d.x0) * W; };
  const auto py = [&](double y) { return (d.y1 - y) / (d.y1 - d.y0) * H; };
  struct Box {
    double l, t, r, b;
    double overlap(const Box& o) const {
      return std::max(0.0, std::min(r, o.r) - std::max(l, o.l)) * std::max(0.0, std::min(b, o.b) - std::max(t, o.t));
    }
  };
  std::vector<Box> taken;
  for (const auto& [name, pts] : d.lines)
    for (const auto& p : pts) taken.push_back({px(p.x) - 4, py(p.y) - 4, px(p.x) + 4, py(p.y) + 4});
  for (auto& [name, pts] : d.lines)
    for (auto& p : pts) {
      const double x = px(p.x), y = py(p.y), w = kChar * static_cast<double>(p.label.size()) + 2;
      Box best{};
      double best_overlap = -1;
      for (double ring : {1.0, 2.2, 3.4})
        for (const auto& [dx, dy] : std::vector<std::pair<double, double>>{
                 {6, -6 - kHigh}, {6, 6}, {-6 - w, -6 - kHigh}, {-6 - w, 6}, {-w / 2, -10 - kHigh}, {-w / 2, 10}}) {
          const double ox = dx >= 0 ? dx * ring : dx - (ring - 1) * 6, oy = dy < 0 ? dy - (ring - 1) * kHigh : dy + (ring - 1) * kHigh;
          const Box b{x + ox, y + oy, x + ox + w, y + oy + kHigh};
          double o = 0;
          for (const Box& t : taken) o += b.overlap(t);
          if (b.l < 0 || b.r > W || b.t < 0 || b.b > H) o += w * kHigh;  // off the plot
          if (best_overlap < 0 || o < best_overlap) best = b, best_overlap = o;
          if (o == 0) goto placed;
        }
    placed:
      taken.push_back(best);
      // back to data: the label's left end, at its middle
      const double lx = d.x0 + best.l / W * (d.x1 - d.x0), ly = d.y1 - (best.t + kHigh / 2) / H * (d.y1 - d.y0);
      p.lx = logx ? std::pow(10.0, lx) : lx;
      p.ly = ly;
    }
}

}  // namespace

std::string plot_data(const PlotSpec& spec, const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows, PlotData& d) {
  std::string error;
  auto column = [&](const std::string& name, const char* flag) -> int {
    if (name.empty()) return -1;
    const auto it = std::find(header.begin(), header.end(), name);
    if (it != header.end()) return static_cast<int>(it - header.begin());
    std::string cols;
    for (const auto& h : header) cols += (cols.empty() ? "" : ", ") + h;
    if (error.empty()) error = fmt::format("{} {}: no such column in {} (its columns: {})", flag, name, spec.csv, cols);
    return -2;
  };
  const int xc = column(spec.x, "--x"), yc = column(spec.y, "--y"), bc = column(spec.by, "--by"),
            lc = column(spec.label, "--label");
  if (!error.empty()) return error;
  if (xc < 0 || yc < 0) return "give --x and --y columns";
  // every string handed to gnuplot stays inside its quotes: no control
  // characters (a line break would start a command of its own)
  for (const auto& [what, s] : {std::pair<const char*, const std::string&>{"--title", spec.title},
                                {"--x", spec.x}, {"--y", spec.y}, {"--out", spec.out}})
    if (has_control(s)) return fmt::format("{} holds a control character; give plain text", what);
  for (const auto& r : rows)
    for (int c : {bc, lc})
      if (c >= 0 && has_control(r[c]))
        return fmt::format("a value of column {} holds a control character (a line break?); gnuplot cannot show it: "
                           "plot without --by or --label on it",
                           header[c]);
  const int exit_col = static_cast<int>(std::find(header.begin(), header.end(), "exit_code") - header.begin());
  // the points of each line, sorted by x; failed runs and empty cells are left out
  d = PlotData{};
  d.labels = lc >= 0;
  for (const auto& r : rows) {
    double x = 0, y = 0;
    const bool failed = exit_col < static_cast<int>(header.size()) && r[exit_col] != "0";
    if (failed || !parse_number(r[xc], x) || !parse_number(r[yc], y)) {
      ++d.skipped;
      continue;
    }
    d.lines[bc >= 0 ? fmt::format("{}={}", header[bc], r[bc]) : spec.y].push_back({x, y, lc >= 0 ? r[lc] : ""});
  }
  bool first = true;
  for (auto& [name, pts] : d.lines) {
    std::sort(pts.begin(), pts.end());
    for (const auto& p : pts) {
      d.x_max = std::max(d.x_max, std::abs(p.x));
      d.x_min = first ? p.x : std::min(d.x_min, p.x), first = false;
    }
  }
  if (spec.logx && !d.lines.empty() && d.x_min <= 0)
    return fmt::format("--logx needs every x above 0; column {} holds {}", spec.x, d.x_min);
  place_labels(d, spec.logx);
  return "";
}

std::string gnuplot_data(const std::vector<PlotPoint>& pts) {
  std::string o;
  for (const auto& p : pts) {  // a data string is in double quotes, which it cannot hold
    std::string label = p.label;
    std::replace(label.begin(), label.end(), '"', '\'');
    o += fmt::format("{} {} {} {} \"{}\"\n", p.x, p.y, p.lx, p.ly, label);
  }
  return o;
}

std::string axis_title(const std::string& column) {
  // the counters' names (model/report/counters.cpp) in words, with their units
  std::vector<std::string> p;
  for (size_t a = 0, b; a <= column.size(); a = b + 1) {
    b = column.find('.', a);
    if (b == std::string::npos) b = column.size();
    p.push_back(column.substr(a, b - a));
  }
  auto words = [](std::string s) {
    std::replace(s.begin(), s.end(), '_', ' ');
    return s;
  };
  std::string t;
  if (p.size() == 2 && p[0] == "cycles") t = p[1] == "total" ? "cycles" : "cycles: " + words(p[1]);
  else if (column == "macs") t = "multiply-adds";
  else if (column == "utilization") t = "utilization (share of PE-cycles)";
  else if (p.size() == 3 && p[0] == "memory") t = (p[1] == "sram" ? "SRAM " : "DRAM ") + p[2] + " (words)";
  else if (p.size() == 5 && p[0] == "memory" && p[2] == "by_operand")
    t = (p[1] == "sram" ? "SRAM " : "DRAM ") + p[3] + " " + p[4] + " (words)";
  else if (p.size() >= 2 && p[0] == "energy_pj") t = (p.back() == "total" ? std::string("energy") : "energy: " + words(p.back())) + " (pJ)";
  else if (p.size() == 2 && p[0] == "training") t = words(p[1]);
  else if (p.size() == 2 && p[0] == "speculation") t = "speculation: " + words(p[1]);
  if (t.empty()) return column;  // a setting, or a counter without a title: its name
  return t + "  [" + column + "]";
}

std::string default_title(const PlotSpec& spec) {
  auto plain = [](const std::string& column) {  // the title without its "  [column]"
    const std::string t = axis_title(column);
    const size_t at = t.find("  [");
    return at == std::string::npos ? t : t.substr(0, at);
  };
  return plain(spec.y) + " against " + plain(spec.x);
}

std::string tick_format(double lo, double hi) {
  // large values in engineering notation (120M, not 1.2e+08), with the
  // decimals that make neighbouring ticks differ (173.08M, not 173M twice)
  const double top = std::max(std::abs(lo), std::abs(hi));
  if (!(top >= 1e4) || !std::isfinite(top)) return "";
  const double unit = std::pow(10.0, 3 * std::floor(std::log10(top) / 3));
  const double step = (hi - lo) / 5;
  const int d = step > 0 ? std::clamp(static_cast<int>(std::ceil(-std::log10(step / unit))), 0, 6) : 0;
  return fmt::format("%.{}s%c", d);
}

std::string gnuplot_script(const PlotSpec& spec, const PlotData& d, const std::string& dir,
                           const std::string& out_png) {
  double y_lo = 0, y_hi = 0;
  bool first = true;
  for (const auto& [name, pts] : d.lines)
    for (const auto& p : pts) y_lo = first ? p.y : std::min(y_lo, p.y), y_hi = first ? p.y : std::max(y_hi, p.y), first = false;
  const std::string fx = spec.logx ? "" : tick_format(d.x_min, d.x_max), fy = tick_format(y_lo, y_hi);
  std::string script = fmt::format(
      "set terminal pngcairo size 960,640 font 'sans,11'\nset output {}\nset title {} noenhanced\n"
      "set xlabel {} noenhanced\nset ylabel {} noenhanced\nset key below noenhanced\nset grid\n"
      "{}{}set xrange [{:.17g}:{:.17g}]\nset yrange [{:.17g}:{:.17g}]\n{}plot ",
      gnuplot_str(out_png), gnuplot_str(spec.title.empty() ? default_title(spec) : spec.title),
      gnuplot_str(axis_title(spec.x)), gnuplot_str(axis_title(spec.y)),
      fx.empty() ? "" : "set format x " + gnuplot_str(fx) + "\n", fy.empty() ? "" : "set format y " + gnuplot_str(fy) + "\n",
      spec.logx ? std::pow(10.0, d.x0) : d.x0, spec.logx ? std::pow(10.0, d.x1) : d.x1, d.y0, d.y1,
      spec.logx ? "set logscale x\n" : "");
  int n = 0;
  for (const auto& [name, pts] : d.lines) {
    const std::string data = fmt::format("{}/line{}.dat", dir, n);
    script += fmt::format("{}{} using 1:2 with linespoints lw 2 pt 7 title {}", n ? ", " : "", gnuplot_str(data),
                          gnuplot_str(name));
    if (d.labels)  // each point named by its value of --label, where place_labels put it
      script += fmt::format(", {} using 3:4:5 with labels left font ',9' noenhanced notitle", gnuplot_str(data));
    ++n;
  }
  return script + "\n";
}

namespace {

void install_stop_handlers() {
  // SIGINT, SIGTERM and SIGHUP: gnuplot is stopped, the temporary files go,
  // nothing is written, exit 1
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

bool interrupted(const char* who) {
  if (!g_interrupted.load()) return false;
  fmt::print(stderr, "{}: interrupted; nothing was written\n", who);
  return true;
}

// "" if a PNG can be written at `out`, else why not (exit 2)
std::string check_out(const std::string& out_path) {
  std::error_code ec;
  const std::filesystem::path out(out_path);
  if (out_path.empty() || std::filesystem::is_directory(out, ec))
    return fmt::format("--out {}: give the name of a PNG file", out_path.empty() ? "(none)" : out_path);
  if (has_control(out_path)) return "--out holds a control character; give plain text";
  const std::string parent = out.parent_path().empty() ? "." : out.parent_path().string();
  if (!std::filesystem::is_directory(parent, ec))
    return fmt::format("--out {}: the folder {} does not exist", out_path, parent);
  if (const std::string why = probe_writable(parent); !why.empty())
    return fmt::format("--out {}: cannot write in {}: {}", out_path, parent, why);
  return "";
}

// Writes the data files to a temporary folder, runs gnuplot on the script
// made for it (the folder, and the PNG's temporary name: an absolute path, as
// gnuplot runs an output name that starts with '|'), and renames the PNG into
// place. Returns the exit code (1: gnuplot or the disk failed, or a signal).
int draw(const char* who, const std::string& out, const std::vector<std::string>& data,
         const std::function<std::string(const std::string& dir, const std::string& out_tmp)>& script) {
  char tmpl[] = "/tmp/systrain-plot-XXXXXX";
  if (!mkdtemp(tmpl)) {
    fmt::print(stderr, "{}: cannot make a temporary folder in /tmp: {}\n", who, std::strerror(errno));
    return 1;
  }
  std::error_code abs_ec;
  const std::string out_abs = std::filesystem::absolute(out, abs_ec).string();
  const std::string dir = tmpl, out_tmp = fmt::format("{}.tmp{}.png", out_abs.empty() ? out : out_abs, ::getpid());
  for (size_t n = 0; n < data.size() && !g_interrupted.load(); ++n) {
    std::ofstream f(fmt::format("{}/line{}.dat", dir, n));
    f << data[n];
    f.flush();
    if (!f) {  // a full /tmp
      const int err = errno;
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      fmt::print(stderr, "{}: cannot write the data for gnuplot in {}: {}\n", who, dir, std::strerror(err));
      return 1;
    }
  }
  { std::ofstream(dir + "/plot.gp") << script(dir, out_tmp); }
  const int status = g_interrupted.load() ? 1 : run_gnuplot(dir + "/plot.gp");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (g_interrupted.load()) {
    std::filesystem::remove(out_tmp, ec);
    interrupted(who);
    return 1;
  }
  if (status != 0 || !std::filesystem::exists(out_tmp)) {
    std::filesystem::remove(out_tmp, ec);
    fmt::print(stderr, "{}: gnuplot {} (install Debian's gnuplot-nox)\n", who, status >= 0 ? "failed" : "is not on PATH");
    return 1;
  }
  std::filesystem::rename(out_tmp, out, ec);
  if (ec) {
    std::filesystem::remove(out_tmp, ec);
    fmt::print(stderr, "{}: cannot write {}: {}\n", who, out, ec.message());
    return 1;
  }
  return 0;
}

}  // namespace

int run_plot(const PlotSpec& spec) {
  install_stop_handlers();
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string error;
  if (!read_table(spec.csv, header, rows, error)) {
    if (interrupted("plot")) return 1;
    fmt::print(stderr, "plot: {}\n", error);
    return 2;
  }
  if (interrupted("plot")) return 1;
  PlotData d;
  if (const std::string why = plot_data(spec, header, rows, d); !why.empty()) {
    fmt::print(stderr, "plot: {}\n", why);
    return 2;
  }
  if (const std::string why = check_out(spec.out); !why.empty()) {
    fmt::print(stderr, "plot: {}\n", why);
    return 2;
  }
  if (d.lines.empty()) {
    fmt::print(stderr, "plot: no row of {} has numbers in both {} and {}\n", spec.csv, spec.x, spec.y);
    return 2;
  }
  std::vector<std::string> data;
  for (const auto& [name, pts] : d.lines) data.push_back(gnuplot_data(pts));
  const int code = draw("plot", spec.out, data, [&](const std::string& dir, const std::string& out_tmp) {
    return gnuplot_script(spec, d, dir, out_tmp);
  });
  if (code == 0)
    fmt::print("  plot: {} ({} line{}, {} points{})\n", spec.out, d.lines.size(), d.lines.size() == 1 ? "" : "s",
               rows.size() - d.skipped, d.skipped ? fmt::format(", {} rows without numbers left out", d.skipped) : "");
  return code;
}

std::string bars_data(const std::string& what, const std::vector<std::string>& schedules,
                      const std::vector<std::map<std::string, std::string>>& reports, std::vector<std::string>& series,
                      std::string& error) {
  const auto num = report_number;
  std::string o;
  if (what == "stages" || what == "energy") {
    series = what == "stages" ? std::vector<std::string>{"forward", "backward", "update", "waiting (DRAM, the other engine)"}
                              : std::vector<std::string>{"MACs", "SRAM", "DRAM", "vector unit"};
    for (size_t i = 0; i < schedules.size(); ++i) {
      const auto& m = reports[i];
      std::vector<double> v;
      if (what == "stages") {
        const double f = num(m, "cycles.forward"), b = num(m, "cycles.backward"), u = num(m, "cycles.update");
        v = {f, b, u, std::max(0.0, num(m, "cycles.total") - f - b - u)};
      } else {
        v = {num(m, "energy_pj.mac"), num(m, "energy_pj.sram"), num(m, "energy_pj.dram"), num(m, "energy_pj.vector")};
      }
      o += fmt::format("\"{}\"", schedules[i]);
      for (double x : v) o += fmt::format(" {}", x);
      o += "\n";
    }
    return o;
  }
  if (what == "layers") {  // each config layer's cycles (its operations), a bar a schedule
    int64_t layers = 0;
    std::vector<std::map<int64_t, double>> cyc(schedules.size());
    for (size_t i = 0; i < schedules.size(); ++i)
      for (int64_t op = 0; reports[i].count(fmt::format("ops.{}.layer", op)); ++op) {
        const auto layer = static_cast<int64_t>(num(reports[i], fmt::format("ops.{}.layer", op)));
        cyc[i][layer] += num(reports[i], fmt::format("ops.{}.cycles", op));
        layers = std::max(layers, layer + 1);
      }
    if (layers == 0) {
      error = "the reports have no ops (their runs had simulation.report_detail layers or totals; --of layers needs full)";
      return "";
    }
    series = schedules;
    for (int64_t l = 0; l < layers; ++l) {
      o += fmt::format("\"layer {}\"", l);
      for (size_t i = 0; i < schedules.size(); ++i) o += fmt::format(" {}", cyc[i].count(l) ? cyc[i][l] : 0.0);
      o += "\n";
    }
    return o;
  }
  error = fmt::format("--of {}: expected stages, energy or layers", what);
  return "";
}

int run_bars(const BarsSpec& spec) {
  install_stop_handlers();
  // the schedules of the compare, in its order, and each one's report.csv
  std::ifstream in(spec.dir + "/compare.json");
  std::string line, list;
  while (std::getline(in, line))
    if (line.rfind("  \"schedules\": [", 0) == 0) {
      list = line.substr(line.find('[') + 1);
      list = list.substr(0, list.find(']'));
      break;
    }
  std::vector<std::string> schedules;
  for (size_t a = 0; a < list.size();) {
    const size_t q1 = list.find('"', a), q2 = q1 == std::string::npos ? q1 : list.find('"', q1 + 1);
    if (q2 == std::string::npos) break;
    schedules.push_back(list.substr(q1 + 1, q2 - q1 - 1));
    a = q2 + 1;
  }
  if (schedules.empty()) {
    fmt::print(stderr, "bars: {}/compare.json: not found or not written by `systrain compare`\n", spec.dir);
    return 2;
  }
  std::vector<std::map<std::string, std::string>> reports;
  for (const auto& k : schedules) {
    if (k.empty() || has_control(k) || k.find('/') != std::string::npos) {
      fmt::print(stderr, "bars: {}/compare.json names a schedule '{}' that is not a folder of it\n", spec.dir, k);
      return 2;
    }
    reports.push_back(read_csv(spec.dir + "/" + k + "/report.csv"));
    if (reports.back().empty()) {
      fmt::print(stderr, "bars: {}/{}/report.csv: missing or empty\n", spec.dir, k);
      return 2;
    }
  }
  std::vector<std::string> series;
  std::string error;
  const std::string data = bars_data(spec.of, schedules, reports, series, error);
  if (!error.empty()) {
    fmt::print(stderr, "bars: {}\n", error);
    return 2;
  }
  if (spec.title.size() && has_control(spec.title)) {
    fmt::print(stderr, "bars: --title holds a control character; give plain text\n");
    return 2;
  }
  if (const std::string why = check_out(spec.out); !why.empty()) {
    fmt::print(stderr, "bars: {}\n", why);
    return 2;
  }
  const bool stacked = spec.of != "layers";
  std::string overlap;  // schedules whose stages add up past their total (two engines at once)
  for (size_t i = 0; i < schedules.size(); ++i) {
    const auto& m = reports[i];
    const double t = report_number(m, "cycles.total");
    if (report_number(m, "cycles.forward") + report_number(m, "cycles.backward") + report_number(m, "cycles.update") > t)
      overlap += fmt::format("{}{} {:.1f}M", overlap.empty() ? "" : ", ", schedules[i], t / 1e6);
  }
  const std::string title =
      !spec.title.empty() ? spec.title
      : spec.of == "stages" ? "cycles by stage" + (overlap.empty() ? "" : " (two engines at once: totals " + overlap + ")")
      : spec.of == "energy" ? "energy by level"
                            : "cycles of each layer's operations";
  const int code = draw("bars", spec.out, {data}, [&](const std::string& dir, const std::string& out_tmp) {
    const std::string file = gnuplot_str(dir + "/line0.dat");
    std::string s = fmt::format(
        "set terminal pngcairo size 960,640 font 'sans,11'\nset output {}\nset title {} noenhanced\n"
        "set ylabel {} noenhanced\nset key below noenhanced\nset grid ytics\nset yrange [0:*]\n"
        "set format y '%.1s%c'\nset style data histograms\nset style histogram {}\nset style fill solid 0.85 border -1\n"
        "set boxwidth {}\nplot ",
        gnuplot_str(out_tmp), gnuplot_str(title), gnuplot_str(spec.of == "energy" ? "energy (pJ)" : "cycles"),
        stacked ? "rowstacked" : "clustered gap 1", stacked ? "0.6" : "0.9");
    for (size_t c = 0; c < series.size(); ++c)
      s += fmt::format("{}{} using {}{} title {}", c ? ", " : "", c ? "''" : file, c + 2, c ? "" : ":xtic(1)",
                       gnuplot_str(series[c]));
    return s + "\n";
  });
  if (code == 0) fmt::print("  bars: {} ({} of {} schedules)\n", spec.out, spec.of, schedules.size());
  return code;
}

}  // namespace systrain
