// The run's counters, declared once: each is a hierarchical path
// ("memory.sram.by_operand.dy.reads") and a value. counters_of() is the one
// place a counter is named; report.json (the paths as nested objects; an
// object whose keys are 0, 1, 2, ... as a list), report.csv (path,value), the
// summary, `sweep` and `compare` all walk or look up this registry. Derived
// figures (utilisation, energy) are computed here, when the report is made.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config.h"
#include "run_result.h"

namespace systrain {

struct Raw {  // a value already in JSON (the resolved config)
  std::string json;
};
using CounterValue = std::variant<int64_t, double, bool, std::string, std::vector<double>, std::vector<std::string>,
                                  std::monostate, Raw>;  // monostate: null

// Where a counter shows beside report.json: in `compare`'s table (always, or
// when some schedule moved it) and as a `sweep.csv` column. Declared with the
// counter in counters_of(); compare and sweep walk the declarations
// (compare_rows(), sweep_columns()), never a list of names of their own.
enum CounterShow : unsigned {
  kReportOnly = 0,
  kCompare = 1,          // a row of compare's table
  kCompareIfMoved = 2,   // a row when some schedule's value is not 0
  kSweep = 4,            // a column of sweep.csv
  kNotInCsv = 8,         // a scalar kept out of report.csv (wall-clock figures)
};

struct Counter {
  std::string path;
  CounterValue value;
  bool in_csv = true;  // lists, strings and the config stay out of report.csv
  unsigned show = kReportOnly;
};

class Counters {
 public:
  void add(std::string path, CounterValue v, unsigned show = kReportOnly);
  const std::vector<Counter>& all() const { return items_; }
  void reserve(size_t n) { items_.reserve(n); }
  std::optional<double> number(const std::string& path) const;

 private:
  std::vector<Counter> items_;
};

// every counter of a run, in report order (wall-clock figures last, under "host")
Counters counters_of(const Config& cfg, const RunResult& r);

// compare's rows, in report order, and whether each shows only when moved
std::vector<std::pair<std::string, bool>> compare_rows();
// sweep.csv's columns after the settings, in report order
std::vector<std::string> sweep_columns();

std::string counters_json(const Counters& c);
std::string counters_csv(const Counters& c);

}  // namespace systrain
