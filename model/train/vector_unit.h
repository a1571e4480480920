// The vector unit beside the array: `lanes` elements a cycle after a fixed
// pipeline latency; it reads and writes the SRAM buffers directly. It runs
// the softmax/cross-entropy loss, the ReLU masks of the backward pass and the
// baseline's weight update. Identical in every backend (the RTL is the array).
//   cycles = ceil(elements / lanes) + latency_cycles
//   loss   (m·n elements): reads y, writes dy = (softmax(y) − onehot)/m
//   mask   (m·k):          reads dx and x (the stashed ReLU output), writes dy
//   update (kw·n):         reads w and dw, writes w = sgd_update(w, dw)
// Conv networks (workload.h: prep stages, per sample; elements = the larger
// of the words read and written):
//   im2col:   reads the input taps inside the image (padding is not read),
//             writes the H'·W' × C·kh·kw columns
//   col2im:   reads those columns' gradients at the same taps and sums, per
//             input element, those of every window that covers it (in the
//             order of the windows, row-major); writes the C·H·W gradient
//   maxpool:  reads the windows' taps inside the image (k×k every stride,
//             padding not read), writes the pooled image and its argmax mask
//   unpool:   reads the pooled gradient and the mask, writes the input's
//             gradient (zero but at each window's argmax; where windows
//             overlap, the sum, as PyTorch's max_pool2d backward)
//   flatten / unflatten: C·H·W words each way (NHWC to C, H, W and back)
//   mask:     a conv layer's ReLU covers its H'·W' × filters outputs
#pragma once
#include <cstdint>
#include <vector>

#include "fixed_point.h"
#include "memory.h"
#include "schedule.h"

namespace systrain {

int64_t vector_elements(VectorKind k, const Workload& w, int layer, int64_t m, int sub = 0);
int64_t vector_cycles(VectorKind k, const Config& cfg, const Workload& w, int layer, int64_t m, int sub = 0);
// the cycles of any operation of `elements` elements: ceil(elements / lanes) + latency_cycles
int64_t vector_cycles(const Config& cfg, int64_t elements);
// the same when the operation moved `moved` words through the SRAM: no
// buffer gives it more than sram.words_per_cycle words a cycle, so
// ceil(words of the busiest buffer / words_per_cycle) cycles at least
int64_t vector_cycles(const Config& cfg, int64_t elements, const AccessCounts& moved);

struct LossStats {
  double loss_sum = 0;  // Σ over the samples of −log softmax(y)[label]
  int64_t correct = 0;  // argmax(y) == label
  LossStats& operator+=(const LossStats& o) {
    loss_sum += o.loss_sum, correct += o.correct;
    return *this;
  }
};

// softmax of one row of logits (words) into p[0..n); returns the argmax
int64_t softmax_row(const int64_t* y, int64_t n, const Numerics& num, double* p);
// a real error value as a word of the error format
inline int64_t error_word(double g, const Numerics& num) {
  return num.is_float ? f2w(static_cast<float>(g)) : quantize(g, num.fe, num.data_bits);
}

// The unpool of a maxpool stage (`st`) over m samples: each output's gradient
// dout(r, c) goes to its window's argmax mask(r, c) (i·k + j in the window);
// gradients of overlapping windows add up, in output order, a fixed-point sum
// saturated to data_bits once; every other input's gradient is zero. din(px,
// c) is the input gradient's word at pixel px (b·H·W + h·W + w), lane c.
template <class Mask, class Dout, class Din>
void scatter_max(const Prep& st, int64_t m, const Numerics& num, Mask mask, Dout dout, Din din) {
  const ImageShape in = st.in, out = st.out;
  const int k = st.kernel;
  const int64_t n = m * in.elements();
  std::vector<int64_t> acc_i(num.is_float ? 0 : n);
  std::vector<float> acc_f(num.is_float ? n : 0);
  std::vector<uint8_t> hit(n, 0);
  for (int64_t b = 0; b < m; ++b)
    for (int64_t oh = 0; oh < out.h; ++oh)
      for (int64_t ow = 0; ow < out.w; ++ow)
        for (int64_t c = 0; c < in.c; ++c) {
          const int64_t r = (b * out.h + oh) * out.w + ow, a = mask(r, c);
          const int64_t ih = oh * st.stride - st.pad_top + a / k, iw = ow * st.stride_w - st.pad_left + a % k;
          const int64_t e = ((b * in.h + ih) * in.w + iw) * in.c + c, v = dout(r, c);
          if (num.is_float) acc_f[e] = hit[e] ? acc_f[e] + w2f(v) : w2f(v);
          else acc_i[e] += v;
          hit[e] = 1;
        }
  const int64_t zero = num.is_float ? f2w(0.0f) : 0;
  for (int64_t px = 0; px < m * in.pixels(); ++px)
    for (int64_t c = 0; c < in.c; ++c) {
      const int64_t e = px * in.c + c;
      din(px, c) = !hit[e] ? zero : num.is_float ? f2w(acc_f[e]) : saturate(acc_i[e], num.data_bits);
    }
}

// Runs one operation on `mem` (counting its accesses); with functional false
// only counts. `labels` are the step's m labels (loss only); `sub` is the
// prep stage of a conv operation.
LossStats run_vector(VectorKind k, Memory& mem, const Workload& w, const StepLayout& l, int layer, int64_t m,
                     const Numerics& num, const StepNumerics& sn, float lr, const uint8_t* labels, bool functional,
                     int sub = 0);

}  // namespace systrain
