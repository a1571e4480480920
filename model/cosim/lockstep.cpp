#include "lockstep.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace systrain {

std::optional<Divergence> compare_tile_runs(const TileRun& a, const TileRun& b, int64_t start_cycle) {
  const size_t n = std::max(a.events.size(), b.events.size());
  for (size_t i = 0; i < n; ++i) {
    const bool ha = i < a.events.size(), hb = i < b.events.size();
    if (ha && hb && a.events[i] == b.events[i]) continue;
    int64_t c = ha ? a.events[i].cycle : b.events[i].cycle;
    if (ha && hb) c = std::min(a.events[i].cycle, b.events[i].cycle);
    std::string last;
    for (size_t k = i >= 3 ? i - 3 : 0; k < i; ++k) last += fmt::format("\n    both: {}", describe(a.events[k]));
    return Divergence{start_cycle + c,
                      fmt::format("tlm: {}\n  rtl: {}\n  last agreed events:{}",
                                  ha ? describe(a.events[i]) : "no more accesses",
                                  hb ? describe(b.events[i]) : "no more accesses", last.empty() ? " none" : last)};
  }
  for (size_t c = 0; c < std::min(a.phases.size(), b.phases.size()); ++c)
    if (a.phases[c] != b.phases[c])
      return Divergence{start_cycle + static_cast<int64_t>(c),
                        fmt::format("tlm is in the {} phase, rtl in the {} phase", to_string(Phase(a.phases[c])),
                                    to_string(Phase(b.phases[c])))};
  if (a.phase_cycles != b.phase_cycles)
    return Divergence{start_cycle, fmt::format("the tile's cycles per phase differ: tlm {}, rtl {}",
                                               fmt::join(a.phase_cycles, "/"), fmt::join(b.phase_cycles, "/"))};
  if (a.cycles != b.cycles)
    return Divergence{start_cycle + std::min(a.cycles, b.cycles),
                      fmt::format("tlm finishes the tile in {} cycles, rtl in {}", a.cycles, b.cycles)};
  return std::nullopt;
}

}  // namespace systrain
