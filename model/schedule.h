// The schedule of one step as a list of operations: array passes (pass.h)
// and vector-unit operations, each tagged with the stage its cycles count in.
// Pure C++: the simulator's controller only issues these in order.
//
// inference:   forward passes
// baseline:    forward passes; loss; then for each layer from the last:
//              AG pass (not for layer 0), ReLU mask, WG pass (OS), update
//              in the vector unit
// interleaved: forward passes; loss; then for each layer from the last: one
//              IL pass (dX and the update of W in the PEs), ReLU mask
//
// Buffer layout (row-major, sized for a full batch B; a partial step uses
// the first m rows): the activations buffer holds every layer's input X_l
// (B × kw_l; kw = k + 1 with a bias, whose last column holds 1.0) and the
// logits (B × n_last); the weights buffer W_l (kw_l × n_l: a bias is the last
// row); the gradients buffer dY_l (B × n_l) for every layer, the partial sums
// (B × the widest row, acc_bits values) and dW (the largest kw·n).
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "pass.h"
#include "workload.h"

namespace systrain {

struct StepLayout {
  std::vector<Mat> x, w, dy;  // per layer
  Mat logits, psum, dw;
  int64_t words[int(Buffer::kCount)] = {};  // elements each buffer holds
};

StepLayout step_layout(const Workload& w, int64_t batch);

enum class Stage : int { kForward = 0, kBackward, kUpdate, kCount };
const char* to_string(Stage s);

enum class VectorKind : int { kLoss = 0, kMask, kUpdate };
const char* to_string(VectorKind v);

struct StepOp {
  bool array = true;  // an array pass, or a vector-unit operation
  Stage stage = Stage::kForward;
  int layer = 0;
  Pass pass;
  VectorKind vector = VectorKind::kLoss;
  std::string name() const;  // "forward", "ag", "wg", "il", "loss", "mask", "update"
  bool writes_dw() const { return array && stage == Stage::kBackward && pass.mode == Mode::kOs; }  // the WG pass
};

// Requantisation shifts and the update constants (fixed point; see README
// "Numerics"): forward and AG results shift by the weights' fractional bits,
// WG by fa + fe − fg; η is lr·2^16 and the update shifts by 16 + fg − fw.
struct StepNumerics {
  int fwd_shift = 0, ag_shift = 0, wg_shift = 0, upd_shift = 0;
  int64_t lr = 0;
};
StepNumerics step_numerics(const Config& cfg);

std::vector<StepOp> step_ops(const Config& cfg, const Workload& w, const StepLayout& l, int64_t m);

}  // namespace systrain
