#include "backward.h"

namespace systrain {

void backward_ops(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m, BackwardParts parts,
                  std::vector<StepOp>& ops) {
  auto vec = [&](Stage st, VectorKind v, int sub = 0) {
    StepOp o = vector_op(st, i, v, sub);
    o.m = m, o.layout = &l;
    ops.push_back(o);
  };
  // after the AG (or IL) result: the prep stages backward, then the ReLU mask below
  auto below = [&] {
    if (i == 0) return;
    for (int s = static_cast<int>(w.layers[i].prep.size()) - 1; s >= 0; --s)
      vec(Stage::kBackward, prep_backward(w.layers[i].prep[s].kind), s);
    if (w.layers[i - 1].relu) vec(Stage::kBackward, VectorKind::kMask);
  };
  if (parts.interleaved) {
    ops.push_back(array_op(Stage::kBackward, i, il_pass(cfg, w, l, i, m)));
    below();
    return;
  }
  if (parts.ag && i > 0) {
    ops.push_back(array_op(Stage::kBackward, i, ag_pass(cfg, w, l, i, m)));
    below();
  }
  if (parts.wg) ops.push_back(array_op(Stage::kBackward, i, wg_pass(cfg, w, l, i, m)));
  if (parts.update) vec(Stage::kUpdate, VectorKind::kUpdate);
}

}  // namespace systrain
