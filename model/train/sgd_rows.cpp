#include "sgd_rows.h"

#include "clones.h"
#include "fixed_point.h"

namespace systrain {

SYSTRAIN_CLONES void sgd_row_f32(int64_t* __restrict w, const float* __restrict g, int64_t n, float lr) {
  for (int64_t j = 0; j < n; ++j) w[j] = f2w(w2f(w[j]) - lr * g[j]);
}

SYSTRAIN_CLONES void sgd_row_f32_words(int64_t* __restrict w, const int64_t* __restrict g, int64_t n, float lr) {
  for (int64_t j = 0; j < n; ++j) w[j] = f2w(w2f(w[j]) - lr * w2f(g[j]));
}

SYSTRAIN_CLONES void sgd_row_fixed(int64_t* __restrict w, const int64_t* __restrict g, int64_t n, int64_t lr, int shift,
                                   int data_bits) {
  for (int64_t j = 0; j < n; ++j) w[j] = sgd_update(w[j], g[j], lr, shift, data_bits);
}

}  // namespace systrain
