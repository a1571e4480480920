// libFuzzer target: the IDX reader (Fashion-MNIST's format, unzipped).
// Input: byte 0 says where the image file ends and the label file starts
// (as a fraction of the rest), byte 1 the sample limit; the rest is the two
// files. Whatever the bytes, parsing must throw DataError or return samples
// whose every pixel and label is inside what was read.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dataset.h"

using namespace systrain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t rest = size - 2, split = rest * data[0] / 255;
  const SharedBytes img(Bytes(data + 2, data + 2 + split)), lab(Bytes(data + 2 + split, data + size));
  try {
    const Samples s = parse_idx(img, lab, "images", "labels", data[1]);
    if (static_cast<int64_t>(s.pixels.size()) != s.count * s.width || static_cast<int64_t>(s.labels.size()) != s.count)
      std::abort();
    for (uint8_t l : s.labels)
      if (l > 9) std::abort();
  } catch (const DataError&) {
  }
  return 0;
}
