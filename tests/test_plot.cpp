// `systrain plot`'s pure steps (sim/cli/plot.h): tick formats that tell
// neighbouring ticks apart, axis titles from the counters' names and units.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "plot.h"

using namespace systrain;

namespace {
// the decimals of an engineering format "%.Ns%c"
int decimals(const std::string& f) { return f.size() > 2 ? f[2] - '0' : -1; }
}  // namespace

TEST_CASE("tick formats: engineering notation from 10^4, with the decimals that tell ticks 1/5 of the range apart") {
  CHECK(tick_format(0, 9999) == "");
  CHECK(tick_format(0, 1.2e8) == "%.0s%c");  // 0, 20M, 40M, ...: whole mantissas differ
  // the sweep that labelled every tick 173M: ticks 0.04M apart need two decimals (173.08M)
  CHECK(tick_format(173.0e6, 173.2e6) == "%.2s%c");
  CHECK(tick_format(128e6, 241e6) == "%.0s%c");
  for (double lo : {1e4, 3.3e5, 7e7, 2.5e9})
    for (double span : {1e-3, 0.05, 0.4, 3.0}) {
      CAPTURE(lo);
      CAPTURE(span);
      const double hi = lo * (1 + span);
      const int d = decimals(tick_format(lo, hi));
      const double unit = std::pow(10.0, 3 * std::floor(std::log10(hi) / 3));
      // a step of (hi − lo)/5 shows in d decimals of the unit, and d is no more than that needs (or the cap 6)
      CHECK((std::pow(10.0, -d) <= (hi - lo) / 5 / unit * (1 + 1e-12) || d == 6));
      CHECK((d == 0 || std::pow(10.0, -(d - 1)) > (hi - lo) / 5 / unit));
    }
}

TEST_CASE("axis titles: a counter's name in words with its unit, and the name; other columns as they are") {
  CHECK(axis_title("cycles.total") == "cycles  [cycles.total]");
  CHECK(axis_title("cycles.bandwidth_stall") == "cycles: bandwidth stall  [cycles.bandwidth_stall]");
  CHECK(axis_title("energy_pj.total") == "energy (pJ)  [energy_pj.total]");
  CHECK(axis_title("memory.sram.by_operand.dy.reads") == "SRAM dy reads (words)  [memory.sram.by_operand.dy.reads]");
  CHECK(axis_title("training.final_test_accuracy") == "final test accuracy  [training.final_test_accuracy]");
  CHECK(axis_title("schedule.speculation.threshold") == "schedule.speculation.threshold");
  PlotSpec s;
  s.x = "cycles.total", s.y = "training.final_test_accuracy";
  CHECK(default_title(s) == "final test accuracy against cycles");
}
