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
#include <map>
#include <thread>

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
  return "";
}

std::string gnuplot_data(const std::vector<PlotPoint>& pts) {
  std::string o;
  for (const auto& p : pts) {  // a data string is in double quotes, which it cannot hold
    std::string label = p.label;
    std::replace(label.begin(), label.end(), '"', '\'');
    o += fmt::format("{} {} \"{}\"\n", p.x, p.y, label);
  }
  return o;
}

std::string gnuplot_script(const PlotSpec& spec, const PlotData& d, const std::string& dir,
                           const std::string& out_png) {
  std::string script = fmt::format(
      "set terminal pngcairo size 960,640 font 'sans,11'\nset output {}\nset title {} noenhanced\n"
      "set xlabel {} noenhanced\nset ylabel {} noenhanced\nset key below noenhanced\nset grid\n"
      "{}set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n{}plot ",
      gnuplot_str(out_png), gnuplot_str(spec.title.empty() ? spec.y + " against " + spec.x : spec.title),
      gnuplot_str(spec.x), gnuplot_str(spec.y),
      d.x_max >= 1e4 ? "set format x '%.0s%c'\n" : "",  // cycles as 120M, not 1.2e+08
      spec.logx ? "set logscale x\n" : "");
  int n = 0;
  for (const auto& [name, pts] : d.lines) {
    const std::string data = fmt::format("{}/line{}.dat", dir, n);
    script += fmt::format("{}{} using 1:2 with linespoints lw 2 pt 7 title {}", n ? ", " : "", gnuplot_str(data),
                          gnuplot_str(name));
    if (d.labels)  // each point named by its value of --label
      script += fmt::format(", {} using 1:2:3 with labels offset 1,0.7 font ',9' noenhanced notitle", gnuplot_str(data));
    ++n;
  }
  return script + "\n";
}

int run_plot(const PlotSpec& spec) {
  // SIGINT, SIGTERM and SIGHUP: gnuplot is stopped, the temporary files go,
  // nothing is written, exit 1
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  const auto interrupted = [] {
    if (!g_interrupted.load()) return false;
    fmt::print(stderr, "plot: interrupted; nothing was written\n");
    return true;
  };
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string error;
  if (!read_table(spec.csv, header, rows, error)) {
    if (interrupted()) return 1;
    fmt::print(stderr, "plot: {}\n", error);
    return 2;
  }
  if (interrupted()) return 1;
  PlotData d;
  if (const std::string why = plot_data(spec, header, rows, d); !why.empty()) {
    fmt::print(stderr, "plot: {}\n", why);
    return 2;
  }
  {  // where the PNG goes: a file in a folder that exists and can be written
    std::error_code ec;
    const std::filesystem::path out(spec.out);
    if (spec.out.empty() || std::filesystem::is_directory(out, ec)) {
      fmt::print(stderr, "plot: --out {}: give the name of a PNG file\n", spec.out.empty() ? "(none)" : spec.out);
      return 2;
    }
    const std::string parent = out.parent_path().empty() ? "." : out.parent_path().string();
    if (!std::filesystem::is_directory(parent, ec)) {
      fmt::print(stderr, "plot: --out {}: the folder {} does not exist\n", spec.out, parent);
      return 2;
    }
    if (const std::string why = probe_writable(parent); !why.empty()) {
      fmt::print(stderr, "plot: --out {}: cannot write in {}: {}\n", spec.out, parent, why);
      return 2;
    }
  }
  if (d.lines.empty()) {
    fmt::print(stderr, "plot: no row of {} has numbers in both {} and {}\n", spec.csv, spec.x, spec.y);
    return 2;
  }
  // the data and the script in a temporary folder; the PNG under a temporary
  // name, renamed when gnuplot has written it whole
  char tmpl[] = "/tmp/systrain-plot-XXXXXX";
  if (!mkdtemp(tmpl)) {
    fmt::print(stderr, "plot: cannot make a temporary folder in /tmp: {}\n", std::strerror(errno));
    return 1;
  }
  // the output as an absolute path: gnuplot takes an output name that starts
  // with '|' for a shell command
  std::error_code abs_ec;
  const std::string out_abs = std::filesystem::absolute(spec.out, abs_ec).string();
  const std::string dir = tmpl, out_tmp = fmt::format("{}.tmp{}.png", out_abs.empty() ? spec.out : out_abs, ::getpid());
  int n = 0;
  for (const auto& [name, pts] : d.lines) {
    if (g_interrupted.load()) break;
    std::ofstream f(fmt::format("{}/line{}.dat", dir, n++));
    f << gnuplot_data(pts);
    f.flush();
    if (!f) {  // a full /tmp
      const int err = errno;
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      fmt::print(stderr, "plot: cannot write the data for gnuplot in {}: {}\n", dir, std::strerror(err));
      return 1;
    }
  }
  { std::ofstream(dir + "/plot.gp") << gnuplot_script(spec, d, dir, out_tmp); }
  const int status = g_interrupted.load() ? 1 : run_gnuplot(dir + "/plot.gp");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (g_interrupted.load()) {
    std::filesystem::remove(out_tmp, ec);
    interrupted();
    return 1;
  }
  if (status != 0 || !std::filesystem::exists(out_tmp)) {
    std::filesystem::remove(out_tmp, ec);
    fmt::print(stderr, "plot: gnuplot {} (install Debian's gnuplot-nox)\n", status >= 0 ? "failed" : "is not on PATH");
    return 1;
  }
  std::filesystem::rename(out_tmp, spec.out, ec);
  if (ec) {
    std::filesystem::remove(out_tmp, ec);
    fmt::print(stderr, "plot: cannot write {}: {}\n", spec.out, ec.message());
    return 1;
  }
  fmt::print("  plot: {} ({} line{}, {} points{})\n", spec.out, d.lines.size(), d.lines.size() == 1 ? "" : "s",
             rows.size() - d.skipped, d.skipped ? fmt::format(", {} rows without numbers left out", d.skipped) : "");
  return 0;
}

}  // namespace systrain
