#include "dataset.h"

#include "data_cache.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>

namespace systrain {


namespace {

// gzip's trailer: the uncompressed size of the last member, modulo 2^32
uint32_t gzip_isize(const uint8_t* t) {
  return uint32_t{t[0]} | uint32_t{t[1]} << 8 | uint32_t{t[2]} << 16 | uint32_t{t[3]} << 24;
}

// The whole file in one call of libdeflate (2-3x zlib's speed; a data set's
// 30 MB took 0.2 s of every run), into the size its trailer gives; nullopt
// where that is not the file's (several gzip members, 4 GiB or more, a
// damaged file, a size deflate cannot reach: 1032 bytes a byte at most):
// zlib's stream then reads it, and names what is wrong.
std::optional<Bytes> gunzip_whole(const Bytes& in) {
  if (in.size() < 18) return std::nullopt;
  const size_t isize = gzip_isize(in.data() + in.size() - 4);
  if (isize > in.size() * 1032) return std::nullopt;
  Bytes out(isize);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  if (!d) return std::nullopt;
  size_t in_used = 0, out_made = 0;
  const libdeflate_result res =
      libdeflate_gzip_decompress_ex(d, in.data(), in.size(), out.data(), out.size(), &in_used, &out_made);
  libdeflate_free_decompressor(d);
  if (res != LIBDEFLATE_SUCCESS || in_used != in.size() || out_made != out.size()) return std::nullopt;
  return out;
}

SharedBytes gunzip_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))  // a FIFO would block, a device never end
    throw DataError(fmt::format("{}: not a regular file", path));
  // (stat succeeded; the cache stands in for a file this run could read, not for one it cannot)
  const bool regular = S_ISREG(st.st_mode) && ::access(path.c_str(), R_OK) == 0;
  if (regular)
    if (auto cached = data_cache_get(path, st)) return *cached;
  // the compressed file, read whole (at most 1 GiB; a larger one streams)
  Bytes in;
  if (st.st_size > 0 && st.st_size <= (int64_t{1} << 30)) {
    if (FILE* raw = std::fopen(path.c_str(), "rb")) {
      in.resize(static_cast<size_t>(st.st_size));
      if (std::fread(in.data(), 1, in.size(), raw) != in.size()) in.clear();
      std::fclose(raw);
    }
  }
  if (auto whole = gunzip_whole(in)) {
    if (regular) data_cache_put(path, st, *whole);
    return SharedBytes(std::move(*whole));
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw DataError(fmt::format("{}: cannot open (is dataset-fashion-mnist installed?)", path));
  // the trailer's size reserved, so that the vector does not grow by copies
  // (a hint; capped at 1 GiB)
  Bytes out;
  if (in.size() >= 4) out.reserve(std::min<uint32_t>(gzip_isize(in.data() + in.size() - 4), 1u << 30));
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    out.insert(out.end(), buf, buf + n);
    if (g_interrupted.load(std::memory_order_relaxed)) {  // Ctrl-C while reading
      gzclose(f);
      throw DataError(fmt::format("{}: interrupted", path));
    }
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  const bool bad = n < 0 || (err != Z_OK && err != Z_STREAM_END);
  std::string m = bad ? msg : "";
  gzclose(f);
  if (bad) throw DataError(fmt::format("{}: corrupt gzip data ({})", path, m));
  if (regular) data_cache_put(path, st, out);
  return SharedBytes(std::move(out));
}

uint32_t be32(const SharedBytes& d, size_t at) {
  return (uint32_t{d[at]} << 24) | (uint32_t{d[at + 1]} << 16) | (uint32_t{d[at + 2]} << 8) | d[at + 3];
}

}  // namespace

Samples load_fashion_mnist(const std::string& dir, const std::string& which, int64_t limit) {
  const std::string ip = fmt::format("{}/{}-images-idx3-ubyte.gz", dir, which);
  const std::string lp = fmt::format("{}/{}-labels-idx1-ubyte.gz", dir, which);
  auto img = gunzip_file(ip), lab = gunzip_file(lp);
  return parse_idx(img, lab, ip, lp, limit);
}

Samples parse_idx(const SharedBytes& img, const SharedBytes& lab, const std::string& ip,
                  const std::string& lp, int64_t limit) {
  if (img.size() < 16 || be32(img, 0) != 0x00000803)
    throw DataError(fmt::format("{}: not an IDX image file (magic 0x00000803 expected)", ip));
  if (lab.size() < 8 || be32(lab, 0) != 0x00000801)
    throw DataError(fmt::format("{}: not an IDX label file (magic 0x00000801 expected)", lp));
  const int64_t n = be32(img, 4), h = be32(img, 8), w = be32(img, 12);
  if (h == 0 || w == 0 || h > 4096 || w > 4096)
    throw DataError(fmt::format("{}: images of {}x{} pixels", ip, h, w));
  if (static_cast<int64_t>(img.size()) != 16 + n * h * w)
    throw DataError(fmt::format("{}: truncated ({} bytes for {} images of {}x{})", ip, img.size(), n, h, w));
  if (be32(lab, 4) != n || static_cast<int64_t>(lab.size()) != 8 + n)
    throw DataError(fmt::format("{}: {} labels do not match {} images", lp, be32(lab, 4), n));
  Samples s;
  s.count = limit > 0 ? std::min(limit, n) : n;
  s.width = h * w;
  // the pixels where they are (a part of the file's bytes, shared): not
  // copied, unless a few samples of the file are all the run takes (then
  // those, and the file's bytes not held)
  s.pixels = img.part(16, static_cast<size_t>(s.count * s.width));
  if (s.count < n) s.pixels = SharedBytes(Bytes(s.pixels.begin(), s.pixels.end()));
  s.labels.resize(s.count);
  for (int64_t i = 0; i < s.count; ++i) {
    s.labels[i] = lab[8 + i];
    if (s.labels[i] > 9) throw DataError(fmt::format("{}: label {} of sample {} is not in 0..9", lp, s.labels[i], i));
  }
  return s;
}

Samples synthetic_samples(int64_t count, int64_t width, uint64_t seed, int classes) {
  Samples s;
  s.count = count;
  s.width = width;
  s.x.resize(count * width);
  s.labels.resize(count);
  Rng rng(seed * 2 + 1);
  for (auto& v : s.x) v = static_cast<float>(rng.uniform() * 2 - 1);
  for (auto& l : s.labels) l = static_cast<uint8_t>(rng.next() % static_cast<uint64_t>(std::min(classes, 10)));
  return s;
}

Samples pad_to_32x32(const Samples& s) {
  Samples o;
  o.count = s.count, o.width = 1024, o.labels = s.labels;
  Bytes px(static_cast<size_t>(o.count * 1024), 0);
  for (int64_t i = 0; i < s.count; ++i)
    for (int64_t r = 0; r < 28; ++r)
      for (int64_t c = 0; c < 28; ++c)
        px[i * 1024 + (r + 2) * 32 + c + 2] =
            s.pixels.empty() ? static_cast<uint8_t>(s.x[i * 784 + r * 28 + c] * 255.0f + 0.5f) : s.pixels[i * 784 + r * 28 + c];
  o.pixels = SharedBytes(std::move(px));
  return o;
}

}  // namespace systrain
