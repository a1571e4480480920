// The SGD step on a row of weight words in place, W −= η·g, in loops the
// compiler vectorises (SYSTRAIN_CLONES): the vector unit's update, the
// interleaved pass's and the gradient-reuse update share them. Each element's
// arithmetic is the word-at-a-time form's (fixed_point.h sgd_update; float32:
// f2w(w2f(w) − lr·g), a product and a difference, each rounded).
#pragma once
#include <cstdint>

namespace systrain {

// float32 words, g as floats
void sgd_row_f32(int64_t* w, const float* g, int64_t n, float lr);
// float32 words, g as float32 words
void sgd_row_f32_words(int64_t* w, const int64_t* g, int64_t n, float lr);
// fixed point: sgd_update(w, g, lr, shift, data_bits)
void sgd_row_fixed(int64_t* w, const int64_t* g, int64_t n, int64_t lr, int shift, int data_bits);

}  // namespace systrain
