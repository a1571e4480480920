#include "memory_room.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace systrain {

namespace {

// the first number in a file, or -1 (absent, "max", unreadable)
double number_in(const std::string& path) {
  std::ifstream in(path);
  double v = -1;
  if (!(in >> v)) return -1;
  return v;
}

void take(MemoryRoom& room, double bytes, const std::string& bound) {
  if (bytes < 0) bytes = 0;
  if (room.bytes <= 0 || bytes < room.bytes) room = {bytes, bound};
}

// each level of the cgroup at `rel` under the hierarchy mounted at `base`,
// up to the mount (in a cgroup namespace the path may not be there: the
// mount itself is then the process's cgroup)
void cgroup_levels(MemoryRoom& room, const std::string& base, const std::string& rel, const char* limit_file,
                   const char* usage_file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::path(base) / fs::path(rel).relative_path();
  if (!fs::is_directory(dir, ec)) dir = base;
  const fs::path root = fs::path(base).lexically_normal();
  while (true) {
    const double limit = number_in((dir / limit_file).string());
    // v1 writes "no limit" as a number near 2^63
    if (limit > 0 && limit < 4.0e18) {
      const double usage = std::max(0.0, number_in((dir / usage_file).string()));
      take(room, limit - usage,
           fmt::format("the memory cgroup's limit of {:.2f} GiB, {:.2f} GiB of it in use ({})", limit / (1 << 30),
                       usage / (1 << 30), (dir / limit_file).string()));
    }
    if (dir.lexically_normal() == root || !dir.has_parent_path() || dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
}

}  // namespace

MemoryRoom memory_room() {
  MemoryRoom room;
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    double kb = 0;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
    std::fclose(f);
    if (kb > 0) take(room, kb * 1024, "the machine's MemAvailable");
  }
  // the process's cgroups: "0::/path" (v2), "N:...memory...:/path" (v1)
  std::ifstream cg("/proc/self/cgroup");
  for (std::string line; std::getline(cg, line);) {
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), rel = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {
      const std::string base = std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup"
                                                                                            : "/sys/fs/cgroup/unified";
      cgroup_levels(room, base, rel, "memory.max", "memory.current");
    } else {
      std::stringstream ss(controllers);
      for (std::string c; std::getline(ss, c, ',');)
        if (c == "memory")
          cgroup_levels(room, "/sys/fs/cgroup/memory", rel, "memory.limit_in_bytes", "memory.usage_in_bytes");
    }
  }
  // ulimit -v: the address space left
  rlimit rl{};
  if (::getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    double vm_kb = 0;
    std::ifstream st("/proc/self/status");
    for (std::string line; std::getline(st, line);)
      if (std::sscanf(line.c_str(), "VmSize: %lf kB", &vm_kb) == 1) break;
    const double limit = static_cast<double>(rl.rlim_cur);
    take(room, limit - vm_kb * 1024,
         fmt::format("ulimit -v of {:.2f} GiB, {:.2f} GiB of it mapped", limit / (1 << 30), vm_kb * 1024 / (1 << 30)));
  }
  return room;
}

}  // namespace systrain
