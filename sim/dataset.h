// Input samples for a run: Fashion-MNIST from its IDX files (gzip), or
// seeded synthetic data. Values are reals in [0, 1] (pixels / 255) or [-1, 1).
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace systrain {

// set by SIGINT, SIGTERM and SIGHUP (sim/main.cpp): long work stops at the next
// tile or block of data and the run writes nothing
extern std::atomic<bool> g_interrupted;

struct Samples {
  int64_t count = 0, width = 0;  // samples × features
  std::vector<float> x;          // [count][width] (synthetic data)
  std::vector<uint8_t> pixels;   // [count][width] (images: the value is pixel / 255; a quarter of the floats' memory)
  std::vector<uint8_t> labels;   // [count]
  float at(int64_t sample, int64_t feature) const {
    const int64_t i = sample * width + feature;
    return pixels.empty() ? x[i] : pixels[i] / 255.0f;
  }
};

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `which` is "train" or "t10k"; limit 0 = all.
Samples load_fashion_mnist(const std::string& dir, const std::string& which, int64_t limit);
// The IDX bytes of an image file and its label file (already unzipped),
// validated; `ip` and `lp` name them in messages. The fuzz target's entry.
Samples parse_idx(const std::vector<uint8_t>& images, const std::vector<uint8_t>& labels, const std::string& ip,
                  const std::string& lp, int64_t limit);
// labels in [0, min(classes, 10)): a label always names an output of the network
Samples synthetic_samples(int64_t count, int64_t width, uint64_t seed, int classes = 10);

// deterministic across platforms: a splitmix64 stream
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t s_;
};

}  // namespace systrain
