#include "memory.h"

#include <cassert>

namespace systrain {

const char* to_string(Buffer b) {
  switch (b) {
    case Buffer::kActivations: return "activations";
    case Buffer::kWeights: return "weights";
    case Buffer::kGradients: return "gradients";
    case Buffer::kCount: break;
  }
  return "?";
}

int64_t AccessCounts::total_reads() const {
  int64_t s = 0;
  for (auto& b : reads) for (auto v : b) s += v;
  return s;
}
int64_t AccessCounts::total_writes() const {
  int64_t s = 0;
  for (auto& b : writes) for (auto v : b) s += v;
  return s;
}
int64_t AccessCounts::operand_reads(Operand op) const {
  int64_t s = 0;
  for (auto& b : reads) s += b[int(op)];
  return s;
}
int64_t AccessCounts::operand_writes(Operand op) const {
  int64_t s = 0;
  for (auto& b : writes) s += b[int(op)];
  return s;
}

void Memory::read(const Access2D& a, Operand op, int64_t* data) {
  counts_.reads[int(a.buffer)][int(op)] += a.elements() * words_per_element(op);
  if (!data) return;
  const auto& buf = data_[int(a.buffer)];
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) {
      const int64_t at = a.addr + i * a.row_stride + j * a.col_stride;
      assert(at >= 0 && at < static_cast<int64_t>(buf.size()));
      *data++ = buf[at];
    }
}

void Memory::write(const Access2D& a, Operand op, const int64_t* data) {
  counts_.writes[int(a.buffer)][int(op)] += a.elements() * words_per_element(op);
  if (!data) return;
  auto& buf = data_[int(a.buffer)];
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) {
      const int64_t at = a.addr + i * a.row_stride + j * a.col_stride;
      assert(at >= 0 && at < static_cast<int64_t>(buf.size()));
      buf[at] = *data++;
    }
}

}  // namespace systrain
