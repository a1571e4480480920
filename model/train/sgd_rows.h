// The SGD step on a row of weight words in place, W −= η·g, in loops the
// compiler vectorises (SYSTRAIN_CLONES): the vector unit's update, the
// interleaved pass's and the gradient-reuse update share them. Each element's
// arithmetic is the word-at-a-time form's (fixed_point.h sgd_update; float32:
// f2w(w2f(w) − lr·g), a product and a difference, each rounded).
#pragma once
#include <cstdint>
#include <vector>

#include "operand.h"
#include "scratch.h"

namespace systrain {

// float32 words, g as floats
void sgd_row_f32(int64_t* w, const float* g, int64_t n, float lr);
// float32 words, g as float32 words
void sgd_row_f32_words(int64_t* w, const int64_t* g, int64_t n, float lr);
// fixed point: sgd_update(w, g, lr, shift, data_bits)
void sgd_row_fixed(int64_t* w, const int64_t* g, int64_t n, int64_t lr, int shift, int data_bits);

// f(i, w, g) for each of `rows` rows of n words of a weight view wm in wbuf
// and, when gbuf is given, of a gradient view gm in gbuf: on the rows where
// they are when their words are contiguous, else on copies (W's copied back)
template <class F>
void each_weight_row(int64_t* wbuf, const Mat& wm, const int64_t* gbuf, const Mat& gm, int64_t rows, int64_t n, F f) {
  static thread_local std::vector<int64_t> wcopy, gcopy;
  for (int64_t i = 0; i < rows; ++i) {
    int64_t* w = wm.cs == 1 ? wbuf + wm.at(i, 0) : scratch(wcopy, n);
    if (wm.cs != 1)
      for (int64_t j = 0; j < n; ++j) w[j] = wbuf[wm.at(i, j)];
    const int64_t* g = nullptr;
    if (gbuf && gm.cs == 1) g = gbuf + gm.at(i, 0);
    else if (gbuf) {
      int64_t* c = scratch(gcopy, n);
      for (int64_t j = 0; j < n; ++j) c[j] = gbuf[gm.at(i, j)];
      g = c;
    }
    f(i, w, g);
    if (wm.cs != 1)
      for (int64_t j = 0; j < n; ++j) wbuf[wm.at(i, j)] = w[j];
  }
}

}  // namespace systrain
