// `systrain plot`: a PNG of two columns of a sweep table (or any CSV with a
// header), one line per value of a third column, drawn by gnuplot (Debian's
// gnuplot-nox), e.g. test accuracy against cycles, one line per schedule.
#pragma once
#include <string>

namespace systrain {

struct PlotSpec {
  std::string csv, x, y, by, label, out, title;
  bool logx = false;
};

// Returns the exit code: 0, 1 if gnuplot failed, 2 on bad input.
int run_plot(const PlotSpec& spec);

}  // namespace systrain
