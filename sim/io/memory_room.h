// The memory this process may still take: the least of what the machine has
// available (MemAvailable), what its memory cgroup leaves (v2 memory.max or
// v1 memory.limit_in_bytes, less the usage, at its own level and every level
// above) and what `ulimit -v` leaves of the address space.
#pragma once
#include <string>

namespace systrain {

struct MemoryRoom {
  double bytes = 0;     // 0: unknown (nothing could be read)
  std::string bound;    // what sets it: "MemAvailable", "the cgroup limit of 0.5 GiB (PATH)", "ulimit -v of ..."
};

MemoryRoom memory_room();

}  // namespace systrain
