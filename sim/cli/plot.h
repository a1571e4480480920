// `systrain plot`: a PNG of two columns of a sweep table (or any CSV with a
// header), one line per value of a third column, drawn by gnuplot (Debian's
// gnuplot-nox), e.g. test accuracy against cycles, one line per schedule.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace systrain {

struct PlotSpec {
  std::string csv, x, y, by, label, out, title;
  bool logx = false;
};

// Returns the exit code: 0, 1 if gnuplot failed, 2 on bad input.
int run_plot(const PlotSpec& spec);

// `systrain bars DIR`: bar charts of a `compare` folder, a bar a schedule:
// cycles by stage or energy by level (stacked), or each layer's cycles
// (clustered, a bar a schedule).
struct BarsSpec {
  std::string dir, of = "stages", out = "bars.png", title;
};
int run_bars(const BarsSpec& spec);
// the data rows of a chart (a quoted name, then a value a series) and the
// series' names; error set on bad input
std::string bars_data(const std::string& what, const std::vector<std::string>& schedules,
                      const std::vector<std::map<std::string, std::string>>& reports, std::vector<std::string>& series,
                      std::string& error);

// The pure steps of run_plot, apart for the fuzz target
// (tests/fuzz/fuzz_sweep_csv.cpp).
struct PlotPoint {
  double x = 0, y = 0;
  std::string label;
  double lx = 0, ly = 0;  // where its label starts (left end, middle), placed clear of the others
  bool operator<(const PlotPoint& o) const { return x < o.x || (x == o.x && y < o.y); }
};
struct PlotData {
  std::map<std::string, std::vector<PlotPoint>> lines;  // by name ("KEY=VALUE" with --by), sorted by x
  size_t skipped = 0;                                  // rows without two numbers, or of failed runs
  double x_min = 0, x_max = 0;
  bool labels = false;  // --label: each point named
  // the axes' ranges, set by plot_data (log10 of x with --logx)
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
};
// the lines of a table (none when no row has two numbers); "" or why it
// cannot be plotted as asked (exit 2)
std::string plot_data(const PlotSpec& spec, const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows, PlotData& d);
// gnuplot's script: line i's data at DIR/line{i}.dat, the PNG to `out_png`;
// every string in single quotes (a quote doubled), no control character
std::string gnuplot_script(const PlotSpec& spec, const PlotData& d, const std::string& dir, const std::string& out_png);
// an axis title for a column: a counter's name in words with its unit, and
// the name ("cycles  [cycles.total]"); any other column, its name
std::string axis_title(const std::string& column);
// the title when --title is not given: "final test accuracy against cycles"
std::string default_title(const PlotSpec& spec);
// gnuplot's tick format for values in [lo, hi]: "" (its default) below 10^4,
// else engineering notation with the decimals that tell ticks apart
std::string tick_format(double lo, double hi);
// a line's data file: "X Y LX LY \"LABEL\"" a point (a '"' in a label becomes ')
std::string gnuplot_data(const std::vector<PlotPoint>& pts);

}  // namespace systrain
