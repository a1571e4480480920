// The samples a run trains on or scores, and the seeded random stream every
// seeded choice of a run draws from (weight init, shuffling, synthetic data,
// assumed hits). Pure C++: the data set readers (sim/io/dataset.h) fill Samples.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "interrupt.h"

namespace systrain {


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
