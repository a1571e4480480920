#include "rtl_model_cache.h"

#include "cache_dir.h"
#include "fnv1a.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <vector>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#ifndef SYSTRAIN_SOURCE_DIR
#error "SYSTRAIN_SOURCE_DIR must be defined by the build"
#endif
#ifndef SYSTRAIN_VERILATED_RT
#error "SYSTRAIN_VERILATED_RT must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace systrain {
namespace {

uint64_t fnv1a(const std::string& s, uint64_t h = kFnv1aBasis) { return systrain::fnv1a(s.data(), s.size(), h); }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw RtlModelError(fmt::format("cannot read {}", p.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// a built model's fingerprint: its bytes hashed, stored beside it when it is
// built and checked before every dlopen (a truncated or damaged library
// would crash the process: SIGBUS, SIGSEGV)
std::string file_fingerprint(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "";
  uint64_t h = kFnv1aBasis, size = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    h = systrain::fnv1a(buf, static_cast<size_t>(in.gcount()), h);
    size += static_cast<uint64_t>(in.gcount());
  }
  return fmt::format("{} {:016x}", size, h);
}

std::string command_output(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

std::string quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

}  // namespace

std::string verilator_version(const fs::path& cache_root) {
  const char* path = std::getenv("PATH");
  fs::path wrapper;
  for (std::string dirs = path ? path : ""; ;) {
    const size_t colon = dirs.find(':');
    const std::string d = dirs.substr(0, colon);
    const fs::path c = fs::path(d.empty() ? "." : d) / "verilator";
    if (::access(c.c_str(), X_OK) == 0) {
      wrapper = c;
      break;
    }
    if (colon == std::string::npos) break;
    dirs.erase(0, colon + 1);
  }
  const auto identity = [](const fs::path& f, std::string& out) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) return false;
    out += fmt::format("{}|{}|{}.{}|{}|{}\n", fs::absolute(f).string(), st.st_size, st.st_mtim.tv_sec,
                       st.st_mtim.tv_nsec, st.st_ino, st.st_dev);
    return true;
  };
  std::string id;
  const char* root = std::getenv("VERILATOR_ROOT");
  id += fmt::format("VERILATOR_ROOT={}\n", root ? root : "(unset)");
  if (wrapper.empty() || !identity(wrapper, id) || !identity(wrapper.parent_path() / "verilator_bin", id))
    return command_output("verilator --version 2>&1");
  const fs::path entry = cache_root / fmt::format("verilator-version-{:016x}", fnv1a(id));
  {
    std::ifstream in(entry, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string held = ss.str();
    // the entry: the identity, then the version (a damaged or foreign one is run again and replaced)
    if (in && held.size() > id.size() && held.compare(0, id.size(), id) == 0) return held.substr(id.size());
  }
  const std::string version = command_output("verilator --version 2>&1");
  if (version.empty()) return version;
  std::error_code ec;
  fs::create_directories(cache_root, ec);
  const fs::path tmp = entry.string() + fmt::format(".{}.tmp", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << id << version;
    if (!out.flush()) {
      out.close();
      fs::remove(tmp, ec);
      return version;
    }
  }
  fs::rename(tmp, entry, ec);
  if (ec) fs::remove(tmp, ec);
  return version;
}

std::string rtl_cache_dir() {
  const std::string d = user_cache_dir("SYSTRAIN_RTL_CACHE", "rtl");
  return d.empty() ? "/tmp/systrain-rtl-cache" : d;
}

fs::path rtl_source_dir() {
  if (const char* d = std::getenv("SYSTRAIN_RTL_SOURCE"); d && *d) return d;
  return SYSTRAIN_SOURCE_DIR;
}

const void* load_rtl_library(const RtlBuildSpec& spec, bool verbose) {
  static std::mutex mu;
  static std::map<std::string, const void*> loaded;
  std::lock_guard<std::mutex> lock(mu);

  const fs::path rtl = rtl_source_dir() / "rtl", shim = spec.shim_dir, script = spec.script;
  const fs::path runtime = SYSTRAIN_VERILATED_RT;
  // the RTL's one file list (what the build script verilates), the shim, the script, the runtime, Verilator
  const fs::path list = spec.sources_list;
  uint64_t h = fnv1a(slurp(list), kFnv1aBasis);
  {
    std::istringstream in(slurp(list));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) h = fnv1a(line + slurp(rtl / line), h);
  }
  for (const auto& f : spec.shim_files) h = fnv1a(slurp(shim / f), h);
  h = fnv1a(slurp(script), h);
  h = fnv1a(slurp(script.parent_path() / "verilated_lib.sh"), h);  // (what the build scripts source)
  h = fnv1a(slurp(runtime), h);
  h = fnv1a(verilator_version(rtl_cache_dir()), h);
  // the compiler: $CXX if set, else the build script's choice (verilated_lib.sh; the script is hashed above)
  if (const char* cxx = std::getenv("CXX"); cxx && *cxx) h = fnv1a(std::string("CXX=") + cxx, h);
  const std::string name = fmt::format("{}_{:016x}", spec.name, h);
  if (auto it = loaded.find(name); it != loaded.end()) return it->second;

  const fs::path root = rtl_cache_dir();
  const fs::path entry = root / name, lib = entry / spec.lib;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw RtlModelError(fmt::format("cannot create the RTL model cache {}: {}", root.string(), ec.message()));
  const fs::path stamp = entry / (spec.lib + ".fingerprint");
  auto intact = [&] {
    std::ifstream in(stamp);
    std::string recorded;
    std::getline(in, recorded);
    return fs::exists(lib) && !recorded.empty() && recorded == file_fingerprint(lib);
  };
  if (!intact()) {
    const fs::path lockfile = root / ".lock";
    int fd = ::open(lockfile.c_str(), O_CREAT | O_RDWR, 0644);
    if (fd < 0) throw RtlModelError(fmt::format("cannot open {}", lockfile.string()));
    ::flock(fd, LOCK_EX);
    if (fs::exists(entry) && !intact()) {  // damaged (or from a build before fingerprints): build it again
      if (verbose)
        fmt::print(stderr, "systrain: the cached RTL model {} is damaged or unverified; rebuilding it\n",
                   entry.string());
      fs::remove_all(entry, ec);
    }
    if (!intact()) {
      const fs::path tmp = root / (name + ".build");
      fs::remove_all(tmp, ec);
      fs::create_directories(tmp, ec);
      if (verbose)
        fmt::print(stderr, "systrain: building the RTL model for {} (once; cached in {})\n", spec.what, root.string());
      const fs::path log = root / (name + ".log");
      std::string cmd = fmt::format("sh {} {} {} {} {}", quote(script.string()), quote(tmp.string()),
                                    quote(rtl.string()), quote(shim.string()), quote(runtime.string()));
      for (const auto& a : spec.args) cmd += " " + quote(a);
      cmd += fmt::format(" > {} 2>&1", quote(log.string()));
      const int status = std::system(cmd.c_str());
      const bool interrupted = (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) ||
                               (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT);
      if (status != 0 && interrupted) {  // Ctrl-C: nothing is kept, not even the log
        ::flock(fd, LOCK_UN);
        ::close(fd);
        fs::remove_all(tmp, ec);
        fs::remove(log, ec);
        throw RtlModelError(fmt::format("interrupted while building the RTL model for {}; nothing was kept", spec.what));
      }
      if (status == 0) {
        std::ofstream(tmp / (spec.lib + ".fingerprint")) << file_fingerprint(tmp / spec.lib) << "\n";
      }
      if (status != 0) {
        ::flock(fd, LOCK_UN);
        ::close(fd);
        fs::remove_all(tmp, ec);
        std::string tail = slurp(log);
        if (tail.size() > 600) tail = "..." + tail.substr(tail.size() - 600);
        const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        throw RtlModelError(fmt::format(
            "building the RTL model for {} failed ({}{}); the full log is {}:\n{}", spec.what,
            WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status)) : fmt::format("exit {}", rc),
            rc == 127 ? ": a tool is missing; scripts/install_deps.sh installs verilator and g++" : "", log.string(),
            tail));
      }
      fs::rename(tmp, entry, ec);
      if (ec) {
        ::flock(fd, LOCK_UN);
        ::close(fd);
        throw RtlModelError(fmt::format("cannot publish {}: {}", entry.string(), ec.message()));
      }
      fs::remove(log, ec);
    }
    ::flock(fd, LOCK_UN);
    ::close(fd);
  }
  void* dl = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!dl) throw RtlModelError(fmt::format("cannot load {}: {}", lib.string(), dlerror()));
  using Fn = const void* (*)();
  auto fn = reinterpret_cast<Fn>(dlsym(dl, spec.symbol.c_str()));
  if (!fn) throw RtlModelError(fmt::format("{} has no {}", lib.string(), spec.symbol));
  const void* api = fn();
  loaded[name] = api;
  return api;
}

const rtl_abi::Api& load_rtl_model(const RtlModelKey& key, bool verbose) {
  const fs::path src = SYSTRAIN_SOURCE_DIR;
  RtlBuildSpec spec;
  spec.name = fmt::format("{}x{}_d{}_a{}_m{}", key.rows, key.cols, key.data_bits, key.acc_bits, key.multipliers);
  spec.what = fmt::format("a {}x{} array", key.rows, key.cols);
  spec.sources_list = rtl_source_dir() / "rtl" / "systolic" / "sources.f";
  spec.shim_dir = src / "sim" / "rtl" / "shim";
  spec.shim_files = {"rtl_shim.cpp", "rtl_abi.h", "rtl_ports.def", "port_bits.h"};
  spec.script = rtl_source_dir() / "scripts" / "build_rtl_model.sh";
  spec.args = {std::to_string(key.rows), std::to_string(key.cols), std::to_string(key.data_bits),
               std::to_string(key.acc_bits), std::to_string(key.multipliers)};
  // more Verilator and C++ options, to measure what they buy (bench/speed_bench.sh): their own cache entry
  const char* vf = std::getenv("SYSTRAIN_RTL_VERILATOR_FLAGS");
  const char* cf = std::getenv("SYSTRAIN_RTL_CXXFLAGS");
  const std::string extra_v = vf ? vf : "", extra_c = cf ? cf : "";
  if (!extra_v.empty() || !extra_c.empty()) {
    spec.name += fmt::format("_x{:016x}", fnv1a(extra_v + "\n" + extra_c));
    spec.args.push_back(extra_v);
    spec.args.push_back(extra_c);
  }
  spec.lib = "libsystolic.so";
  spec.symbol = "systrain_rtl_api";
  const auto* api = static_cast<const rtl_abi::Api*>(load_rtl_library(spec, verbose));
  if (api->abi_version != rtl_abi::kAbiVersion || api->rows != key.rows || api->cols != key.cols ||
      api->data_bits != key.data_bits || api->acc_bits != key.acc_bits || api->multipliers != key.multipliers)
    throw RtlModelError("the cached RTL model does not match the requested one");
  return *api;
}

}  // namespace systrain
