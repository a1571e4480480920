// Input samples for a run: Fashion-MNIST from its IDX files (gzip), or
// seeded synthetic data. Values are reals in [0, 1] (pixels / 255) or [-1, 1).
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "samples.h"

namespace systrain {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `which` is "train" or "t10k"; limit 0 = all.
Samples load_fashion_mnist(const std::string& dir, const std::string& which, int64_t limit);
// The IDX bytes of an image file and its label file (already unzipped),
// validated; `ip` and `lp` name them in messages. The samples' pixels share
// the images' bytes. The fuzz target's entry.
Samples parse_idx(const SharedBytes& images, const SharedBytes& labels, const std::string& ip,
                  const std::string& lp, int64_t limit);
// 28×28 images centred in 32×32 (the edge trainer's 1024 inputs; the array takes them so too)
Samples pad_to_32x32(const Samples& s);
// labels in [0, min(classes, 10)): a label always names an output of the network
Samples synthetic_samples(int64_t count, int64_t width, uint64_t seed, int classes = 10);

}  // namespace systrain
