#include "data_cache.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <fcntl.h>
#include <sys/mman.h>
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

uint32_t crc32_of(const uint8_t* b, size_t n) { return libdeflate_crc32(0, b, n); }

}  // namespace

std::string data_cache_dir() {
  const std::string d = user_cache_dir("SYSTRAIN_DATA_CACHE", "data");
  return d == "off" ? "" : d;
}

std::optional<SharedBytes> data_cache_get(const std::string& path, const struct stat& st) {
  const std::string dir = data_cache_dir();
  if (dir.empty()) return std::nullopt;
  const Header want = expected(path, st);
  // (non-blocking: a FIFO in an entry's place would block a plain open; it is then not a regular file)
  const int fd = ::open(entry_path(dir, want).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<SharedBytes> out;
  Header h{};
  struct stat es {};
  if (::fstat(fd, &es) == 0 && S_ISREG(es.st_mode) && ::pread(fd, &h, sizeof h, 0) == static_cast<ssize_t>(sizeof h) &&
      same_source(h, want) && h.zero == 0 && h.bytes >= kDataCacheMinBytes &&
      static_cast<uint64_t>(es.st_size) == sizeof h + h.bytes) {
    // Mapped from the page cache: no fresh memory to fault in and zero (in a
    // VM that took up to 0.7 s of a run), no copy. On huge pages where the
    // kernel keeps the file's page cache in 2 MiB folios (a hint; the trainer
    // reads samples at random, and with 4 KiB pages each was a page walk: 0.02
    // s an epoch), which it does when the pages are read through such a
    // mapping (data_cache_put leaves a new entry out of the page cache so); its
    // pages mapped now, not a fault at a time.
    const size_t len = sizeof h + h.bytes;
    void* m = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      ::madvise(m, len, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_READ
      ::madvise(m, len, MADV_POPULATE_READ);  // (where it fails, the CRC below faults them in)
#endif
      std::shared_ptr<const void> owner(m, [len](const void* p) { ::munmap(const_cast<void*>(p), len); });
      const uint8_t* b = static_cast<const uint8_t*>(m) + sizeof h;
      if (crc32_of(b, h.bytes) == h.crc) out = SharedBytes(std::move(owner), b, h.bytes);
    }
  }
  ::close(fd);
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
  h.crc = crc32_of(bytes.data(), bytes.size());
  static std::atomic<int> serial{0};
  const fs::path entry = entry_path(dir, h);
  const fs::path tmp = fs::path(dir) / fmt::format(".{}.{}.{}.tmp", entry.filename().string(), ::getpid(), serial++);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return;
  bool ok = std::fwrite(&h, sizeof h, 1, f) == 1 && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  // written out and dropped from the page cache, so that the first run to read
  // the entry maps it back in huge folios (data_cache_get)
  ok = ok && std::fflush(f) == 0 && ::fdatasync(::fileno(f)) == 0;
  if (ok) ::posix_fadvise(::fileno(f), 0, 0, POSIX_FADV_DONTNEED);
  ok = std::fclose(f) == 0 && ok;
  if (ok) fs::rename(tmp, entry, ec);
  if (!ok || ec) fs::remove(tmp, ec);
}

}  // namespace systrain
