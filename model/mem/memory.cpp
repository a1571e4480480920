#include "memory.h"

#include <algorithm>

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

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
int64_t AccessCounts::buffer_reads(Buffer b) const {
  int64_t s = 0;
  for (auto v : reads[int(b)]) s += v;
  return s;
}
int64_t AccessCounts::buffer_writes(Buffer b) const {
  int64_t s = 0;
  for (auto v : writes[int(b)]) s += v;
  return s;
}
AccessCounts& AccessCounts::operator+=(const AccessCounts& o) {
  for (int b = 0; b < int(Buffer::kCount); ++b)
    for (int op = 0; op < int(Operand::kCount); ++op) reads[b][op] += o.reads[b][op], writes[b][op] += o.writes[b][op];
  return *this;
}
AccessCounts operator-(const AccessCounts& after, const AccessCounts& before) {
  AccessCounts d;
  for (int b = 0; b < int(Buffer::kCount); ++b)
    for (int op = 0; op < int(Operand::kCount); ++op)
      d.reads[b][op] = after.reads[b][op] - before.reads[b][op], d.writes[b][op] = after.writes[b][op] - before.writes[b][op];
  return d;
}

namespace {
// the lowest and the highest word of a block of at least one word (its corners)
std::pair<int64_t, int64_t> span_of(const Access2D& a) {
  const int64_t c0 = a.addr, c1 = a.addr + (a.rows - 1) * a.row_stride + (a.cols - 1) * a.col_stride;
  const int64_t r = a.addr + (a.rows - 1) * a.row_stride, c = a.addr + (a.cols - 1) * a.col_stride;
  return {std::min({c0, c1, r, c}), std::max({c0, c1, r, c})};
}
void check_bounds(const Access2D& a, size_t size, Operand op) {
  if (a.rows <= 0 || a.cols <= 0) return;
  const auto [lo, hi] = span_of(a);
  if (lo < 0 || hi >= static_cast<int64_t>(size))
    throw std::out_of_range(fmt::format("{} access to words [{}, {}] outside the {} buffer of {} words",
                                        to_string(op), lo, hi, to_string(a.buffer), size));
}
}  // namespace

void Memory::check(const Access2D& a, Operand op) const { check_bounds(a, (*data_)[int(a.buffer)].size(), op); }

void Memory::read(const Access2D& a, Operand op, int64_t* data) {
  counts_.reads[int(a.buffer)][int(op)] += a.elements() * words_per_element(op);
  if (!data) return;
  if (!functional_) {
    std::fill(data, data + a.elements(), 0);
    return;
  }
  const auto& buf = (*data_)[int(a.buffer)];
  check_bounds(a, buf.size(), op);
  if (a.col_stride == 1) {  // rows of consecutive words
    for (int64_t i = 0; i < a.rows; ++i, data += a.cols)
      std::copy_n(buf.data() + a.addr + i * a.row_stride, a.cols, data);
    return;
  }
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) {
      const int64_t at = a.addr + i * a.row_stride + j * a.col_stride;
      *data++ = buf[at];
    }
}

void Memory::copy(const Access2D& from, const Access2D& to, Operand op, bool values) {
  if (from.rows != to.rows || from.cols != to.cols)
    throw std::logic_error(fmt::format("copy of a {}x{} block to a {}x{} one", from.rows, from.cols, to.rows, to.cols));
  const bool meet = from.buffer == to.buffer && from.elements() > 0 && span_of(from).first <= span_of(to).second &&
                    span_of(to).first <= span_of(from).second;
  if (!values || !functional_ || meet || from.col_stride != 1 || to.col_stride != 1) {  // through a buffer
    static thread_local std::vector<int64_t> words;
    words.resize(values ? static_cast<size_t>(from.elements()) : 0);
    read(from, op, values ? words.data() : nullptr);
    write(to, op, values ? words.data() : nullptr);
    return;
  }
  counts_.reads[int(from.buffer)][int(op)] += from.elements() * words_per_element(op);
  counts_.writes[int(to.buffer)][int(op)] += to.elements() * words_per_element(op);
  const auto& src = (*data_)[int(from.buffer)];
  auto& dst = (*data_)[int(to.buffer)];
  check_bounds(from, src.size(), op);
  check_bounds(to, dst.size(), op);
  for (int64_t i = 0; i < from.rows; ++i)
    std::copy_n(src.data() + from.addr + i * from.row_stride, from.cols, dst.data() + to.addr + i * to.row_stride);
}

void Memory::write(const Access2D& a, Operand op, const int64_t* data) {
  counts_.writes[int(a.buffer)][int(op)] += a.elements() * words_per_element(op);
  if (!data || !functional_) return;
  auto& buf = (*data_)[int(a.buffer)];
  check_bounds(a, buf.size(), op);
  if (a.col_stride == 1) {
    for (int64_t i = 0; i < a.rows; ++i, data += a.cols)
      std::copy_n(data, a.cols, buf.data() + a.addr + i * a.row_stride);
    return;
  }
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) {
      const int64_t at = a.addr + i * a.row_stride + j * a.col_stride;
      buf[at] = *data++;
    }
}

}  // namespace systrain
