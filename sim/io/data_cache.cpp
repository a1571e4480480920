#include "data_cache.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cache_dir.h"
#include "fnv1a.h"

namespace systrain {
namespace fs = std::filesystem;

namespace {

// an entry: this header, then the bytes
struct Header {
  char magic[16];
  uint64_t key;  // FNV-1a of the fields below but bytes and crc, and of the file's full path
  uint64_t size, inode, device;
  int64_t mtime_s, mtime_ns;
  uint64_t bytes;
  uint32_t crc;  // CRC-32 of the bytes
  uint32_t zero;
};
constexpr char kMagic[16] = "systrain-data-1";

// the header an entry for `path` as `st` found it must have (bytes and crc aside)
Header expected(const std::string& path, const struct stat& st) {
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.size = static_cast<uint64_t>(st.st_size);
  h.inode = static_cast<uint64_t>(st.st_ino);
  h.device = static_cast<uint64_t>(st.st_dev);
  h.mtime_s = static_cast<int64_t>(st.st_mtim.tv_sec);
  h.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_nsec);
  char full[PATH_MAX];
  const std::string name = ::realpath(path.c_str(), full) ? std::string(full) : path;
  uint64_t k = fnv1a(name.data(), name.size());
  k = fnv1a(&h.size, sizeof h.size, k);
  k = fnv1a(&h.inode, sizeof h.inode, k);
  k = fnv1a(&h.device, sizeof h.device, k);
  k = fnv1a(&h.mtime_s, sizeof h.mtime_s, k);
  h.key = fnv1a(&h.mtime_ns, sizeof h.mtime_ns, k);
  return h;
}

bool same_source(const Header& a, const Header& b) {
  return std::memcmp(a.magic, b.magic, sizeof a.magic) == 0 && a.key == b.key && a.size == b.size &&
         a.inode == b.inode && a.device == b.device && a.mtime_s == b.mtime_s && a.mtime_ns == b.mtime_ns;
}

fs::path entry_path(const std::string& dir, const Header& h) { return fs::path(dir) / fmt::format("{:016x}.bytes", h.key); }

uint32_t crc32_of(const Bytes& b) { return libdeflate_crc32(0, b.data(), b.size()); }

}  // namespace

std::string data_cache_dir() {
  const std::string d = user_cache_dir("SYSTRAIN_DATA_CACHE", "data");
  return d == "off" ? "" : d;
}

std::optional<Bytes> data_cache_get(const std::string& path, const struct stat& st) {
  const std::string dir = data_cache_dir();
  if (dir.empty()) return std::nullopt;
  const Header want = expected(path, st);
  FILE* f = std::fopen(entry_path(dir, want).c_str(), "rb");
  if (!f) return std::nullopt;
  std::optional<Bytes> out;
  Header h{};
  struct stat es {};
  if (std::fread(&h, sizeof h, 1, f) == 1 && same_source(h, want) && h.zero == 0 && ::fstat(::fileno(f), &es) == 0 &&
      h.bytes >= kDataCacheMinBytes && static_cast<uint64_t>(es.st_size) == sizeof h + h.bytes) {
    Bytes b(h.bytes);
    if (std::fread(b.data(), 1, b.size(), f) == b.size() && crc32_of(b) == h.crc) out = std::move(b);
  }
  std::fclose(f);
  return out;
}

void data_cache_put(const std::string& path, const struct stat& st, const Bytes& bytes) {
  const std::string dir = data_cache_dir();
  if (dir.empty() || bytes.size() < kDataCacheMinBytes) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return;
  Header h = expected(path, st);
  h.bytes = bytes.size();
  h.crc = crc32_of(bytes);
  static std::atomic<int> serial{0};
  const fs::path entry = entry_path(dir, h);
  const fs::path tmp = fs::path(dir) / fmt::format(".{}.{}.{}.tmp", entry.filename().string(), ::getpid(), serial++);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return;
  bool ok = std::fwrite(&h, sizeof h, 1, f) == 1 && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  if (ok) fs::rename(tmp, entry, ec);
  if (!ok || ec) fs::remove(tmp, ec);
}

}  // namespace systrain
