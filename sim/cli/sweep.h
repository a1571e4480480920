// `systrain sweep`: one run per combination of --set values, as separate
// processes (SystemC runs one simulation per process), --jobs at a time.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace systrain {

// Returns the process exit code (0, 1 if any run failed, 2 on bad input).
// `shard` "I/N" (0 <= I < N) runs only the points whose index is I mod N;
// "" runs them all.
int run_sweep(const std::string& self, const std::string& config, const std::vector<std::string>& sets, int jobs,
              const std::string& out_dir, const std::string& shard = "");

// `systrain sweep merge DIR...`: joins the sweep.csv of every shard of one
// sweep into OUT/sweep.csv, the table an unsharded run writes.
int merge_sweeps(const std::vector<std::string>& dirs, const std::string& out_dir);

// A CSV file as its header and rows (fields may be double-quoted); false if
// it cannot be read or a row has the wrong number of fields (`error` says where).
bool read_table(const std::string& path, std::vector<std::string>& header,
                std::vector<std::vector<std::string>>& rows, std::string& error);

// sweep.csv, as `sweep` writes it (and `merge` rewrites it): the header for
// the swept keys, and a run's row (its settings RFC 4180-quoted, the counters
// declared for sweep.csv from its report.csv, its exit code)
std::string sweep_header(const std::vector<std::string>& keys);
std::string sweep_row(size_t index, const std::vector<std::string>& settings,
                      const std::map<std::string, std::string>& report, int exit_code);
// a field in double quotes, a quote doubled
std::string csv_field(const std::string& v);
// read_table on a text (`name` in the errors)
bool parse_table(const std::string& text, const std::string& name, std::vector<std::string>& header,
                 std::vector<std::vector<std::string>>& rows, std::string& error);

// "a.b=1,2,[3, 4]" -> key "a.b", values {"1", "2", "[3, 4]"} (commas inside
// brackets do not split)
bool split_sweep_set(const std::string& set, std::string& key, std::vector<std::string>& values);

// Runs `self ARGS...` for every argument list, `jobs` at a time; the exit
// code of each (1 if it could not start or did not exit normally).
std::vector<int> run_children(const std::string& self, const std::vector<std::vector<std::string>>& arg_lists, int jobs);

// report.csv as key -> value ({} if the file cannot be read)
std::map<std::string, std::string> read_csv(const std::string& path);

}  // namespace systrain
