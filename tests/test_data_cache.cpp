// The cache of decompressed data-set files (sim/io/data_cache.h): a hit gives
// the bytes the file decompresses to; a changed file, a damaged or truncated
// entry and a cache that cannot be written all fall back to decompressing;
// SYSTRAIN_DATA_CACHE=off writes nothing. The reference is the bytes the test
// itself wrote into the gzip file.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "data_cache.h"
#include "dataset.h"

using namespace systrain;
namespace fs = std::filesystem;

namespace {

// t10k IDX files of n random 28x28 images and their labels in dir; returns the pixels
Bytes write_idx(const fs::path& dir, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> img = {0, 0, 8, 3, 0, 0, uint8_t(n >> 8), uint8_t(n), 0, 0, 0, 28, 0, 0, 0, 28};
  Bytes px(static_cast<size_t>(n) * 784);
  for (auto& p : px) p = static_cast<uint8_t>(rng());
  img.insert(img.end(), px.begin(), px.end());
  std::vector<uint8_t> lab = {0, 0, 8, 1, 0, 0, uint8_t(n >> 8), uint8_t(n)};
  for (int i = 0; i < n; ++i) lab.push_back(static_cast<uint8_t>(rng() % 10));
  // written beside and renamed into place: a new file (a new inode), as a download or a copy makes
  for (const auto& [name, bytes] : {std::pair{"t10k-images-idx3-ubyte.gz", &img}, {"t10k-labels-idx1-ubyte.gz", &lab}}) {
    const fs::path tmp = dir / (std::string(name) + ".new");
    gzFile g = gzopen(tmp.c_str(), "wb");
    REQUIRE(g);
    REQUIRE(gzwrite(g, bytes->data(), static_cast<unsigned>(bytes->size())) == static_cast<int>(bytes->size()));
    REQUIRE(gzclose(g) == Z_OK);
    fs::rename(tmp, dir / name);
  }
  return px;
}

std::vector<fs::path> entries(const fs::path& cache) {
  std::vector<fs::path> v;
  if (fs::exists(cache))
    for (const auto& e : fs::directory_iterator(cache)) v.push_back(e.path());
  return v;
}

struct CacheEnv {  // SYSTRAIN_DATA_CACHE for the test, restored after it
  std::string was;
  bool had;
  explicit CacheEnv(const std::string& v) {
    const char* w = std::getenv("SYSTRAIN_DATA_CACHE");
    had = w != nullptr, was = w ? w : "";
    setenv("SYSTRAIN_DATA_CACHE", v.c_str(), 1);
  }
  ~CacheEnv() { had ? setenv("SYSTRAIN_DATA_CACHE", was.c_str(), 1) : unsetenv("SYSTRAIN_DATA_CACHE"); }
};

}  // namespace

TEST_CASE("the data-set cache gives the file's bytes, and falls back to decompressing on any doubt") {
  const fs::path root = fs::temp_directory_path() / fmt::format("systrain_data_cache_{}", ::getpid());
  fs::remove_all(root);
  const fs::path data = root / "data", cache = root / "cache";
  fs::create_directories(data);
  CacheEnv env(cache.string());
  const int n = 1500;  // 1.1 MiB of pixels: past kDataCacheMinBytes
  REQUIRE(16 + size_t{n} * 784 >= kDataCacheMinBytes);
  const Bytes px = write_idx(data, n, 1);
  const auto load = [&] { return load_fashion_mnist(data.string(), "t10k", 0); };

  // a miss decompresses and writes one entry (the images'; the labels are too small to cache)
  CHECK(load().pixels == px);
  auto e = entries(cache);
  REQUIRE(e.size() == 1);
  const fs::path entry = e[0];
  CHECK(entry.extension() == ".bytes");
  const auto entry_size = fs::file_size(entry);
  CHECK(entry_size > px.size());

  // a hit gives the bytes from the entry: the gzip file's contents damaged in place, its size and
  // modification time kept, still give the first bytes (and with the cache off, an error)
  const fs::path gz = data / "t10k-images-idx3-ubyte.gz";
  struct stat before {};
  REQUIRE(::stat(gz.c_str(), &before) == 0);
  {
    std::fstream f(gz, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(gz) / 2));
    const char junk[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    f.write(junk, sizeof junk);
  }
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, gz.c_str(), times, 0) == 0);
  CHECK(load().pixels == px);
  {
    CacheEnv off("off");
    CHECK_THROWS_AS(load(), DataError);
  }

  // a new file (a new inode and time) misses: its own bytes, a second entry
  const Bytes px2 = write_idx(data, n, 2);
  CHECK(load().pixels == px2);
  CHECK(entries(cache).size() == 2);

  // an entry damaged (one byte of the data) or cut short is ignored and written again
  fs::path entry2;
  for (const auto& p : entries(cache))
    if (p != entry) entry2 = p;
  REQUIRE(!entry2.empty());
  {
    std::fstream f(entry2, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(entry_size - 1000));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x10);
    f.seekp(static_cast<std::streamoff>(entry_size - 1000));
    f.write(&c, 1);
  }
  CHECK(load().pixels == px2);
  fs::resize_file(entry2, entry_size / 2);
  CHECK(load().pixels == px2);
  CHECK(fs::file_size(entry2) == entry_size);
  CHECK(load().pixels == px2);  // (now a hit again)

  // off: nothing written; a cache that cannot be made (its folder a file): decompressed all the same
  fs::remove_all(cache);
  {
    CacheEnv off("off");
    CHECK(load().pixels == px2);
    CHECK(entries(cache).empty());
  }
  std::ofstream(root / "a_file") << "x";
  {
    CacheEnv bad((root / "a_file" / "cache").string());
    CHECK(load().pixels == px2);
  }
  // no temporary file is left behind
  CHECK(load().pixels == px2);
  for (const auto& p : entries(cache)) CHECK(p.extension() == ".bytes");
  CHECK(entries(cache).size() == 1);
  // a FIFO in the entry's place is not opened for reading (that would block): decompressed instead
  {
    const fs::path only = entries(cache).at(0);
    fs::remove(only);
    REQUIRE(::mkfifo(only.c_str(), 0644) == 0);
    CHECK(load().pixels == px2);
    CHECK(fs::is_regular_file(only));  // (written again over it)
  }
  // samples read from an entry hold it mapped, and their copies share it: the
  // entry gone, they keep their bytes
  const Samples held = load();
  const Samples copy = held;
  CHECK(copy.pixels.data() == held.pixels.data());
  fs::remove_all(cache);
  CHECK(held.pixels == px2);
  CHECK(copy.pixels == px2);
  fs::remove_all(root);
}
