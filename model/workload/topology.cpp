#include "topology.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace systrain {

namespace {
constexpr double kMaxGemmDim = 1099511627776.0;        // 2^40
constexpr double kMaxGemmMacs = 4611686018427387904.0;  // 2^62
}  // namespace

namespace {

struct Cell {
  std::string text;
  int col = 1;  // 1-based column of its first character
};

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<Cell> cells_of(const std::string& line) {
  std::vector<Cell> out;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    const std::string raw = line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t lead = raw.find_first_not_of(" \t");
    out.push_back({trim(raw), static_cast<int>(start + (lead == std::string::npos ? 0 : lead)) + 1});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Topology parse_topology(const std::string& text, const std::string& file, std::vector<ConfigError>& errors,
                        bool round_up) {
  Topology t;
  const size_t errors_before = errors.size();
  auto err = [&](int line, int col, const std::string& msg) {
    if (errors.size() - errors_before < 50) errors.push_back({{file, line, col}, "network.topology_csv", msg});
  };
  bool header = false;
  int line_no = 0;
  unsigned __int128 total_weights = 0, total_macs = 0;
  constexpr unsigned __int128 kMaxTotal = static_cast<unsigned __int128>(1) << 62;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find('\0') != std::string::npos) {
      err(line_no, 1, "a NUL byte: this is not a text file");
      return t;
    }
    std::vector<Cell> cells = cells_of(line);
    if (std::all_of(cells.begin(), cells.end(), [](const Cell& c) { return c.text.empty(); })) continue;
    if (!header) {  // the format, from the header row
      header = true;
      std::vector<std::string> h;
      for (const auto& c : cells)
        if (!c.text.empty()) h.push_back(lower(c.text));
      if (h.size() == 4 && h[1] == "m" && h[2] == "n" && h[3] == "k") {
        t.conv = false;
      } else if (h.size() >= 8 && h[1] == "ifmap height" && h[2] == "ifmap width") {
        t.conv = true;
      } else {
        err(line_no, 1,
            "expected a SCALE-Sim header row: 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
            "Channels, Num Filter, Strides,' (conv) or 'Layer, M, N, K' (GEMM)");
        return t;
      }
      continue;
    }
    static const char* const kConvNames[] = {"IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
                                             "Channels",     "Num Filter",  "Strides"};
    static const char* const kGemmNames[] = {"M", "N", "K"};
    const size_t want = t.conv ? 7 : 3;
    if (cells.size() < want + 1 || std::any_of(cells.begin() + 1, cells.begin() + 1 + want,
                                               [](const Cell& c) { return c.text.empty(); })) {
      err(line_no, 1, fmt::format("a row needs a name and {} numbers ({}), found {} cells", want,
                                  t.conv ? "IFMAP H, W, filter H, W, channels, filters, stride" : "M, N, K",
                                  cells.size()));
      continue;
    }
    TopologyLayer l;
    l.name = cells[0].text.empty() ? fmt::format("layer{}", t.layers.size()) : cells[0].text;
    l.conv = t.conv;
    l.round_up = round_up;
    l.line = line_no;
    int64_t v[7] = {};
    bool ok = true;
    for (size_t i = 0; i < want; ++i) {
      const Cell& c = cells[i + 1];
      errno = 0;
      char* e = nullptr;
      const long long x = std::strtoll(c.text.c_str(), &e, 10);
      if (errno != 0 || e != c.text.c_str() + c.text.size() || x < 1 || x > (int64_t{1} << 24)) {
        err(line_no, c.col, fmt::format("{}: expected an integer in [1, 16777216], found '{}'",
                                        t.conv ? kConvNames[i] : kGemmNames[i], c.text));
        ok = false;
      }
      v[i] = x;
    }
    if (!ok) continue;
    if (t.conv) {
      l.ifmap_h = v[0], l.ifmap_w = v[1], l.filter_h = v[2], l.filter_w = v[3], l.channels = v[4], l.filters = v[5],
      l.stride = v[6];
      if (l.filter_h > l.ifmap_h || l.filter_w > l.ifmap_w) {
        err(line_no, cells[3].col, fmt::format("the {}x{} filter is larger than the {}x{} IFMAP", l.filter_h,
                                               l.filter_w, l.ifmap_h, l.ifmap_w));
        continue;
      }
      // K = Fh·Fw·C reaches 2^72 with cells at their maximum: sized in doubles first
      if (static_cast<double>(l.filter_h) * static_cast<double>(l.filter_w) * static_cast<double>(l.channels) >
          kMaxGemmDim) {
        err(line_no, cells[3].col, fmt::format("the {}x{}x{} filter has more than 2^40 weights a filter (its GEMM's K)",
                                               l.filter_h, l.filter_w, l.channels));
        continue;
      }
      l.m = l.ofmap_h() * l.ofmap_w();
      l.k = l.filter_h * l.filter_w * l.channels;
      l.n = l.filters;
    } else {
      l.m = v[0], l.n = v[1], l.k = v[2];
    }
    // the work of a layer, M·K·N multiply-adds, must stay within 64-bit counters
    if (static_cast<double>(l.m) * static_cast<double>(l.k) * static_cast<double>(l.n) > kMaxGemmMacs) {
      err(line_no, cells[1].col, fmt::format("its GEMM (M {}, K {}, N {}) makes more than 2^62 multiply-adds", l.m, l.k,
                                             l.n));
      continue;
    }
    // the file in all: its weights and its multiply-adds are summed in 64 bits
    // too (rows at the per-layer bound add up past them)
    total_weights += static_cast<unsigned __int128>(l.k) * static_cast<unsigned __int128>(l.n);
    total_macs += static_cast<unsigned __int128>(l.m) * static_cast<unsigned __int128>(l.k) * static_cast<unsigned __int128>(l.n);
    if (total_weights > kMaxTotal || total_macs > kMaxTotal) {
      err(line_no, 1, fmt::format("with this row the file's layers hold more than 2^62 {} in all", total_macs > kMaxTotal
                                                                                                    ? "multiply-adds"
                                                                                                    : "weights"));
      return t;
    }
    t.layers.push_back(l);
  }
  if (!header) err(1, 1, "the file is empty (expected a SCALE-Sim header row and layers)");
  else if (t.layers.empty() && errors.size() == errors_before) err(line_no, 1, "no layers after the header row");
  return t;
}

}  // namespace systrain
