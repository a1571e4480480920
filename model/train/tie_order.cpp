#include "tie_order.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace systrain {

void TieOrder::start(int64_t cycle) {
  start_ = cycle;
  for (auto& r : runs_) r.clear();
}

void TieOrder::add(int e, int64_t from, int64_t cycles, int64_t count) {
  if (cycles <= 0 || count <= 0) throw std::logic_error("a wait of no cycles at a tie");
  auto& r = runs_[e];
  if (!r.empty() && r.back().cycles == cycles && r.back().from + cycles * r.back().count == from)
    r.back().count += count;
  else
    r.push_back({from, cycles, count});
}

void TieOrder::wait(int e, int64_t from, int64_t cycles) { add(e, from, cycles, 1); }

void TieOrder::wait(int e, int64_t from, const Tiles& tiles) {
  for (const auto& [c, n] : tiles) add(e, from, c, n), from += c * n;
}

int64_t TieOrder::before(int e, int64_t t, int64_t& run_from) const {
  const auto& h = runs_[e];
  const auto it = std::lower_bound(h.begin(), h.end(), t,
                                   [](const Run& r, int64_t x) { return r.from + r.cycles * r.count < x; });
  if (it == h.end() || t <= it->from || (t - it->from) % it->cycles != 0)
    throw std::logic_error(fmt::format("engine {} has no wait ending at cycle {}", e, t));
  run_from = it->from;
  return t - it->cycles;
}

int TieOrder::first_at(int64_t t) const {
  while (t > start_) {
    int64_t run0 = 0, run1 = 0;
    const int64_t p0 = before(0, t, run0), p1 = before(1, t, run1);
    if (p0 != p1) return p0 < p1 ? 0 : 1;
    // the same step back from t in both: the same wakeups back to the later
    // run's start, each tied the way the one before it was
    t = std::max(run0, run1);
  }
  return 0;
}

}  // namespace systrain
