#include "layout.h"

namespace systrain {

Access2D resolve(const Tile& t, const LayerLayout& l, Operand op, bool write, int64_t index) {
  const int64_t K = l.gemm.k, N = l.gemm.n;
  const bool ws = t.dataflow == Dataflow::kWs;
  switch (op) {
    case Operand::kWeights:  // WS: row k0+index of the block; OS: row index
      return {Buffer::kWeights, l.w_addr + ((ws ? t.k0 : 0) + index) * N + t.n0, 1, t.cu, 0, 1};
    case Operand::kActivations:
      if (ws) return {Buffer::kActivations, l.x_addr + index * K + t.k0, 1, t.ru, 0, 1};
      return {Buffer::kActivations, l.x_addr + t.m0 * K + index, 1, t.ru, 0, K};  // a column of X
    case Operand::kPartialSums:
      return {Buffer::kGradients, l.p_addr + index * N + t.n0, 1, t.cu, 0, 1};
    case Operand::kOutputs:
      return {Buffer::kActivations, l.y_addr + ((ws ? 0 : t.m0) + index) * N + t.n0, 1, t.cu, 0, 1};
    case Operand::kCount: break;
  }
  (void)write;
  return {};
}

Access2D tile_block(const Tile& t, const LayerLayout& l, Operand op, bool write) {
  const int64_t K = l.gemm.k, N = l.gemm.n;
  const bool ws = t.dataflow == Dataflow::kWs;
  (void)write;
  switch (op) {
    case Operand::kWeights:
      return ws ? Access2D{Buffer::kWeights, l.w_addr + t.k0 * N + t.n0, t.ru, t.cu, N, 1}
                : Access2D{Buffer::kWeights, l.w_addr + t.n0, t.len, t.cu, N, 1};
    case Operand::kActivations:
      return ws ? Access2D{Buffer::kActivations, l.x_addr + t.k0, t.len, t.ru, K, 1}
                : Access2D{Buffer::kActivations, l.x_addr + t.m0 * K, t.ru, t.len, K, 1};
    case Operand::kPartialSums:
      return {Buffer::kGradients, l.p_addr + t.n0, t.len, t.cu, N, 1};
    case Operand::kOutputs:
      return ws ? Access2D{Buffer::kActivations, l.y_addr + t.n0, t.len, t.cu, N, 1}
                : Access2D{Buffer::kActivations, l.y_addr + t.m0 * N + t.n0, t.ru, t.cu, N, 1};
    case Operand::kCount: break;
  }
  return {};
}

}  // namespace systrain
