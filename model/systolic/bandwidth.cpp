#include "bandwidth.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "mode.h"

namespace systrain {

std::vector<AccessStream> tile_streams(const Tile& t, const ArrayShape& a) {
  std::vector<AccessStream> out;
  const int64_t R = a.rows, vd = a.rows + a.cols, L = t.len, ru = t.ru, s = t.s();
  auto add = [&](const Mat& v, bool write, Port port, int64_t lanes, int64_t first, int64_t step, int64_t count,
                 int64_t row0, int64_t dir) {
    if (count > 0 && lanes > 0) out.push_back({v, write, port, lanes, first, step, count, row0, dir});
  };
  if (t.mode == Mode::kOs) {
    add(t.io.top, false, Port::kTop, t.cu, 0, 1, L, 0, 1);
    add(t.io.left, false, Port::kLeft, ru, 0, 1, L, 0, 1);
    add(t.io.out, true, Port::kOut, t.cu, L + vd - 1 + R - ru, 1, ru, ru - 1, -1);
    return out;
  }
  // WS, AG, IL: LOAD, then the stream (model/systolic/mode.cpp stationary_events)
  const int64_t lanes = t.ws_like() ? t.cu : t.xu, load = t.loads() ? ru : 0;
  if (t.loads()) add(t.io.load, false, Port::kTop, t.cu, 0, 1, ru, ru - 1, -1);
  if (t.pf_rows > 0) add(t.io.next_load, false, Port::kTop, t.pf_cols, load, 1, t.pf_rows, t.pf_rows - 1, -1);
  if (!t.ws_like()) add(t.io.top, false, Port::kTop, t.cu, load, s, L, 0, 1);
  if (t.mode != Mode::kAg) add(t.io.left, false, Port::kLeft, ru, load, s, L, 0, 1);
  if (t.reads_psum()) add(t.io.psum, false, Port::kPsum, lanes, load, s, L, 0, 1);
  if (t.row_outputs()) add(t.io.out, true, Port::kOut, lanes, load + s * vd - (s - 1), s, L, 0, 1);
  if (t.mode == Mode::kIl) add(t.io.wb, true, Port::kOut, t.cu, ru + s * (L + vd) + 1 + R - ru, 1, ru, ru - 1, -1);
  return out;
}

namespace {

bool limited(const ArrayShape& a) { return a.banks > 0 && a.words_per_cycle > 0; }

// words of one buffer in one cycle, by bank
struct BufferLoad {
  int64_t words = 0;
  std::vector<int64_t> bank;
};

void add_row(const Mat& v, int64_t row, int64_t lanes, const ArrayShape& a, BufferLoad& load) {
  const int64_t wpe = a.words_per_element(v.op), banks = a.banks;
  load.words += lanes * wpe;
  auto mod = [banks](int64_t x) { return (x % banks + banks) % banks; };
  // lane j's first word is in bank (b0 + j·step) mod banks: stepped, not divided, lane by lane
  const int64_t step = mod(v.cs * wpe);
  int64_t b = mod(v.at(row, 0) * wpe);
  for (int64_t j = 0; j < lanes; ++j) {
    if (wpe == 1) load.bank[static_cast<size_t>(b)]++;
    else
      for (int64_t w = 0; w < wpe; ++w) load.bank[static_cast<size_t>(mod(b + w))]++;
    b += step;
    if (b >= banks) b -= banks;
  }
}

int64_t cost_of(std::array<BufferLoad, int(Buffer::kCount)>& loads, const ArrayShape& a) {
  const int64_t width = std::max(1, a.words_per_cycle / a.banks);
  int64_t cost = 1;
  for (auto& l : loads) {
    if (l.words == 0) continue;
    const int64_t busiest = *std::max_element(l.bank.begin(), l.bank.end());
    cost = std::max({cost, (l.words + a.words_per_cycle - 1) / a.words_per_cycle, (busiest + width - 1) / width});
  }
  return cost;
}

std::array<BufferLoad, int(Buffer::kCount)> empty_loads(const ArrayShape& a) {
  std::array<BufferLoad, int(Buffer::kCount)> loads;
  for (auto& l : loads) l.bank.assign(static_cast<size_t>(a.banks), 0);
  return loads;
}

// the cost of logical cycle c of a tile
int64_t cost_at(const std::vector<AccessStream>& streams, int64_t c, const ArrayShape& a,
                std::array<BufferLoad, int(Buffer::kCount)>& loads) {
  for (auto& l : loads) l.words = 0, std::fill(l.bank.begin(), l.bank.end(), 0);
  bool any = false;
  for (const auto& s : streams) {
    if (c < s.first || c > s.last_cycle() || (c - s.first) % s.step != 0) continue;
    add_row(s.view, s.row0 + s.dir * ((c - s.first) / s.step), s.lanes, a, loads[int(s.view.buf)]);
    any = true;
  }
  return any ? cost_of(loads, a) : 1;
}

// The stall cycles of a tile of n cycles (per logical cycle when asked)
TileStalls stalls_of(const Tile& t, const ArrayShape& a, bool per_cycle,
                     const std::array<int64_t, int(Phase::kCount)>& phases, int64_t n,
                     const std::vector<AccessStream>& streams) {
  TileStalls out;
  if (per_cycle) out.per_cycle.assign(static_cast<size_t>(n), 0);
  // no cycle can exceed the limits: the sums over every stream of its words
  // and of its busiest bank fit
  {
    auto loads = empty_loads(a);
    std::array<int64_t, int(Buffer::kCount)> busiest{};
    for (const auto& s : streams) {
      auto one = empty_loads(a);
      add_row(s.view, s.row0, s.lanes, a, one[int(s.view.buf)]);
      loads[int(s.view.buf)].words += one[int(s.view.buf)].words;
      busiest[int(s.view.buf)] += *std::max_element(one[int(s.view.buf)].bank.begin(), one[int(s.view.buf)].bank.end());
    }
    const int64_t width = std::max(1, a.words_per_cycle / a.banks);
    bool fits = true;
    for (int b = 0; b < int(Buffer::kCount); ++b)
      fits = fits && loads[b].words <= a.words_per_cycle && busiest[b] <= width;
    if (fits) return out;
  }
  auto loads = empty_loads(a);
  if (per_cycle) {
    int64_t c = 0;
    for (int p = 0; p < int(Phase::kCount); ++p)
      for (int64_t k = 0; k < phases[p]; ++k, ++c) {
        const int64_t st = cost_at(streams, c, a, loads) - 1;
        out.per_cycle[static_cast<size_t>(c)] = st;
        out.total += st;
        out.by_phase[p] += st;
      }
    return out;
  }
  // regions of constant phase and constant set of streams; within one the
  // costs repeat every 2·banks cycles
  std::vector<int64_t> cuts{0, n};
  int64_t acc = 0;
  for (int p = 0; p < int(Phase::kCount); ++p) {
    acc += phases[p];
    cuts.push_back(acc);
  }
  for (const auto& s : streams) cuts.push_back(s.first), cuts.push_back(s.last_cycle() + 1);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  const int64_t period = 2 * static_cast<int64_t>(a.banks);
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    const int64_t b0 = cuts[i], b1 = std::min(cuts[i + 1], n);
    if (b0 >= b1) continue;
    const int p = int(phase_at(t, a, b0));
    const int64_t len = b1 - b0, eval = std::min(len, period);
    int64_t sum = 0, prefix = 0;
    const int64_t rem = len % period;
    for (int64_t k = 0; k < eval; ++k) {
      sum += cost_at(streams, b0 + k, a, loads) - 1;
      if (k + 1 == rem) prefix = sum;
    }
    const int64_t st = len <= period ? sum : (len / period) * sum + prefix;
    out.total += st;
    out.by_phase[p] += st;
  }
  return out;
}

}  // namespace

int64_t access_cost(const std::vector<RowAccess>& acc, const ArrayShape& a) {
  if (!limited(a) || acc.empty()) return 1;
  // Called every RTL cycle, so banks are counted only where no bound decides.
  // One access's words: lane j's first word is in bank (b0 + j·step) mod banks,
  // a cycle through banks / gcd(step, banks) banks, so with one word an element
  // its busiest bank holds ceil(lanes / cycle) words, and with wpe words at
  // most wpe times that. A buffer whose accesses' busiest banks add up to no
  // more than a bank's width costs what its words cost; a buffer asked once,
  // one word an element, costs its closed form; any other is counted.
  const int64_t banks = a.banks, width = std::max(1, a.words_per_cycle / a.banks);
  std::array<int64_t, int(Buffer::kCount)> words{}, bound{}, asked{};
  std::array<bool, int(Buffer::kCount)> wide{};  // an access of elements of several words
  for (const auto& r : acc) {
    if (r.lanes <= 0) continue;
    const int b = int(r.view.buf);
    const int64_t wpe = a.words_per_element(r.view.op);
    const int64_t step = ((r.view.cs * wpe) % banks + banks) % banks;
    const int64_t cycle = banks / std::gcd(step, banks);  // (gcd(0, banks) = banks: one bank)
    const int64_t busiest = (r.lanes + cycle - 1) / cycle;
    words[b] += r.lanes * wpe;
    bound[b] += busiest * wpe;
    wide[b] = wide[b] || wpe > 1;
    asked[b]++;
  }
  int64_t cost = 1;
  bool count = false;
  for (int b = 0; b < int(Buffer::kCount); ++b) {
    if (words[b] == 0) continue;
    cost = std::max(cost, (words[b] + a.words_per_cycle - 1) / a.words_per_cycle);
    if (bound[b] <= width) continue;
    if (asked[b] == 1 && !wide[b]) cost = std::max(cost, (bound[b] + width - 1) / width);  // the closed form
    else count = true;
  }
  if (!count) return cost;
  thread_local std::array<BufferLoad, int(Buffer::kCount)> loads;
  for (auto& l : loads) l.words = 0, l.bank.assign(static_cast<size_t>(a.banks), 0);
  for (const auto& r : acc) add_row(r.view, r.row, r.lanes, a, loads[int(r.view.buf)]);
  return std::max(cost, cost_of(loads, a));
}

TileStalls tile_stalls(const Tile& t, const ArrayShape& a, bool per_cycle) {
  const auto phases = tile_phases(t, a);
  int64_t n = 0;
  for (int64_t v : phases) n += v;
  if (!limited(a)) {
    TileStalls none;
    if (per_cycle) none.per_cycle.assign(static_cast<size_t>(n), 0);
    return none;
  }
  const std::vector<AccessStream> streams = tile_streams(t, a);
  if (per_cycle) return stalls_of(t, a, true, phases, n, streams);  // a recorded tile: cycle by cycle
  // tiles that differ only in where their blocks start, modulo the banks,
  // stall alike: the answer is kept per signature (per thread)
  std::vector<int64_t> key{int64_t(t.mode), t.s(), a.rows, a.cols, a.banks, a.words_per_cycle, a.words_per_psum,
                           int64_t(streams.size())};
  for (int64_t v : phases) key.push_back(v);
  const int64_t B = a.banks;
  auto mod = [B](int64_t v) { return (v % B + B) % B; };
  for (const auto& st : streams) {
    const int64_t wpe = a.words_per_element(st.view.op);
    key.insert(key.end(), {int64_t(st.view.buf), wpe, st.lanes, st.first, st.step, st.count, st.dir,
                           mod(st.view.at(st.row0, 0) * wpe), mod(st.view.rs * wpe), mod(st.view.cs * wpe)});
  }
  thread_local std::map<std::vector<int64_t>, TileStalls> cache;
  const auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() > 200000) cache.clear();
  return cache.emplace(std::move(key), stalls_of(t, a, false, phases, n, streams)).first->second;
}

}  // namespace systrain
