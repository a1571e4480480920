#include "edge_block.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace systrain {

const char* to_string(EdgeMemId m) {
  switch (m) {
    case EdgeMemId::kW: return "w";
    case EdgeMemId::kAff: return "a_ff";
    case EdgeMemId::kAup: return "a_up";
    case EdgeMemId::kSp: return "sigma_prime";
    case EdgeMemId::kPd: return "partial_delta";
    case EdgeMemId::kDr: return "delta";
    case EdgeMemId::kOut: return "out";
  }
  return "?";
}

bool EdgeEvent::operator<(const EdgeEvent& o) const {
  return std::tie(clock, mem, write, bank, row) < std::tie(o.clock, o.mem, o.write, o.bank, o.row);
}

std::string describe(const EdgeEvent& e) {
  return fmt::format("clock {}: {} {} bank {} row {}", e.clock, e.write ? "write" : "read", to_string(e.mem), e.bank,
                     e.row);
}

std::vector<EdgeEvent> edge_block_tlm(const EdgeBlock& b, EdgeMem& m, const EdgeFixed& fixed) {
  EdgeFixed num = fixed;
  num.k = b.kshift;  // the block's η
  std::vector<EdgeEvent> ev;
  const int64_t z = b.z, fi = b.fi, groups = z / fi;
  auto at = [&](int64_t clock, EdgeMemId id, bool write, int64_t bank, int64_t row) {
    ev.push_back({clock, id, write, bank, row});
  };
  // the values in row order: FF and BP read the block's old weights, UP writes the new ones
  for (int64_t k = 0; k < b.rows; ++k) {
    at(k, EdgeMemId::kW, false, 0, k);
    std::vector<int64_t> left(static_cast<size_t>(z));
    for (int64_t t = 0; t < z; ++t) {
      const int64_t r = b.left_row(k, t);
      left[t] = r * z + t;
      if (b.ff) at(k, EdgeMemId::kAff, false, t, r);
      if (b.up) at(k, EdgeMemId::kAup, false, t, r);
      if (b.bp) at(k, EdgeMemId::kSp, false, t, r);
      if (b.bp) at(k + 2, EdgeMemId::kPd, false, t, r), at(k + 3, EdgeMemId::kPd, true, t, r);
    }
    for (int64_t g = 0; g < groups; ++g) {
      if (b.up || b.bp) at(k, EdgeMemId::kDr, false, g, k);
      if (b.ff) at(k + 4, EdgeMemId::kOut, true, g, k);
    }
    if (b.up) at(k + 3, EdgeMemId::kW, true, 0, k);
    int64_t* w = &m.w[k * z];
    if (b.ff)
      for (int64_t g = 0; g < groups; ++g) {
        std::vector<int64_t> tree(static_cast<size_t>(fi));
        for (int64_t e = 0; e < fi; ++e) tree[e] = num.mul(m.a_ff[left[g * fi + e]], w[g * fi + e]);
        for (int64_t size = fi; size > 1; size /= 2)
          for (int64_t i = 0; i < size / 2; ++i) tree[i] = num.add(tree[2 * i], tree[2 * i + 1]);
        const int64_t n = k * groups + g;
        m.out_a[n] = num.sig(tree[0]);
        m.out_sp[n] = num.dsig(tree[0]);
        if (b.last) m.out_delta[n] = num.add(m.out_a[n], -(n == b.label ? num.one() : num.zero()));
      }
    for (int64_t t = 0; t < z; ++t) {
      const int64_t delta = m.dr[k * groups + t / fi];
      if (b.bp) m.pd[left[t]] = num.add(m.pd[left[t]], num.mul(num.mul(delta, m.sp[left[t]]), w[t]));
      if (b.up) w[t] = num.update(w[t], m.a_up[left[t]], delta);
    }
  }
  std::sort(ev.begin(), ev.end());
  return ev;
}

std::string first_clash(const std::vector<EdgeEvent>& events) {
  std::map<std::tuple<int64_t, EdgeMemId, bool, int64_t>, const EdgeEvent*> seen;
  for (const EdgeEvent& e : events) {
    const auto [it, fresh] = seen.try_emplace({e.clock, e.mem, e.write, e.bank}, &e);
    if (!fresh)
      return fmt::format("bank clash: {} and row {} in the same clock", describe(*it->second), e.row);
  }
  return "";
}

}  // namespace systrain
