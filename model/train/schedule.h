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
// A layer with prep stages (conv networks) runs them in the vector unit
// before its forward pass, and their backward stages after its AG (or IL)
// pass, before the ReLU mask of the layer below.
//
// Buffer layout (row-major, sized for a full batch B; a partial step uses
// the first m rows; a conv layer has B·rows GEMM rows): the activations
// buffer holds every layer's input X_l (B × kw_l; kw = k + 1 with a bias,
// whose last column holds 1.0), the logits (B × n_last) and, in conv
// networks, the input image, the outputs that prep stages read and their
// intermediates and pool masks; the weights buffer W_l (kw_l × n_l: a bias is
// the last row); the gradients buffer dY_l (B × n_l) for every layer, the
// prep stages' gradients, the partial sums (B × the widest row, acc_bits
// values) and dW (the largest kw·n).
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "pass.h"
#include "workload.h"

namespace systrain {

// The regions of one layer's prep stages (workload.h): stage s reads `in[s]`
// and writes `out[s]` (the last stage's out is the layer's X); a pool keeps
// its argmax in `mask[s]`. Backward, stage s reads `dout[s]` and writes
// `din[s]` (the first stage's din is the previous layer's dY, or nothing for
// the first layer).
struct PrepLayout {
  std::vector<Mat> in, out, mask, din, dout;
};

struct StepLayout {
  std::vector<Mat> x, w, dy;  // per layer
  std::vector<Mat> y;         // per layer: where its forward result goes (the next X, a prep input, the logits)
  std::vector<Mat> dx;        // per layer: where its AG result goes (the previous dY, or its prep's dout)
  std::vector<PrepLayout> prep;  // per layer
  Mat input;                  // where a step's input batch is loaded
  std::vector<Mat> dws;       // per layer: where its dW goes (rs = n); one shared region unless per-layer
  Mat logits, psum, dw;
  int64_t words[int(Buffer::kCount)] = {};  // elements each buffer holds
  // The speculative schedule keeps two steps in flight: the X stash, the
  // logits and the errors are double-buffered (`slots` = 2), slot s of them
  // `s · slot_words` words after slot 0 (x, logits and dy above are slot 0),
  // and each of its two engines has its own partial sums (psum of engine 1
  // at psum2).
  int slots = 1;
  int64_t act_slot_words = 0, grad_slot_words = 0;
  Mat psum2;
  StepLayout view(int slot, int engine = 0) const;  // slot s's x, logits, dy; the engine's psum
};

// slots = 2 and per_layer_dw (every layer's dW kept until the update) for the
// speculative schedule
StepLayout step_layout(const Workload& w, int64_t batch, int slots = 1, bool per_layer_dw = false);
// the layout a run of cfg uses: cfg.buffer_rows() rows; two slots for the
// speculative schedule, with every layer's dW kept for gradient_reuse
StepLayout run_layout(const Config& cfg, const Workload& w);

enum class Stage : int { kForward = 0, kBackward, kUpdate, kCount };
const char* to_string(Stage s);

// Vector-unit operations (vector_unit.h); the speculative schedule adds
// (speculation.h) gather (compact the stash rows of the samples that
// missed), table (refresh the per-label table), verify (compare the true
// outputs with the speculated ones), and its own loss, update and mask:
// reuse_loss (the loss that decides hits, reported as "loss"), reuse_update
// (the update with the stored gradients, "update"), spec_loss, spec_mask and
// spec_unpool (the error chain from the table), and, when output speculation
// verifies per sample, gather (the rows the misses' recomputation reads, to
// the other slot) and scatter (their recomputed errors, back).
// Conv networks add the prep stages (workload.h) and their backward:
// im2col/col2im, pool/unpool (maxpool and its argmax scatter),
// flatten/unflatten.
enum class VectorKind : int {
  kLoss = 0, kMask, kUpdate, kGather, kTable, kVerify,
  kIm2col, kCol2im, kPool, kUnpool, kFlatten, kUnflatten,
  kReuseLoss, kReuseUpdate, kSpecLoss, kSpecMask, kSpecUnpool, kSpecGather, kScatter
};
// the speculative ones read or write the per-label tables (speculation.h)
bool is_speculative(VectorKind v);
// the operations of a layer's prep stages (op.sub names the stage)
bool is_prep(VectorKind v);
const char* to_string(VectorKind v);

struct SpecContext;  // speculation.h

// One operation of a step, for one engine (model/train/executor.h runs it).
struct StepOp {
  bool array = true;  // an array pass, or a vector-unit operation
  Stage stage = Stage::kForward;
  int layer = 0;
  Pass pass;
  VectorKind vector = VectorKind::kLoss;
  int sub = 0;  // prep operations: the stage of the layer's prep
  // vector operations: the rows (samples) they cover, the regions they
  // work on, the step's labels (the loss) and, for the speculative ones,
  // the tables and the step's decisions
  int64_t m = 0;
  const StepLayout* layout = nullptr;
  const uint8_t* labels = nullptr;
  SpecContext* spec = nullptr;
  const char* label = nullptr;  // the name it is reported under, when not name()
  std::string name() const;  // label, or "forward", "ag", "wg", "il", "loss", "mask", "update", ...
  // the config's layer it works for (network.layers[i]): a prep stage's own
  // (a maxpool, a flatten; a conv's im2col: the conv), else its GEMM layer's
  int config_layer(const Workload& w) const;
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

// The operations of one step of m samples under cfg.schedule.kind
// (inference, baseline or interleaved), built from the pieces below.
std::vector<StepOp> step_ops(const Config& cfg, const Workload& w, const StepLayout& l, int64_t m);

// The pieces: the passes of layer i for m samples of layout l, and the ops
// that wrap them.
Pass forward_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m);
Pass ag_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m);
Pass wg_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m);
Pass il_pass(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m);
StepOp array_op(Stage st, int layer, const Pass& p);
VectorKind prep_forward(PrepKind k);   // im2col, maxpool, flatten
VectorKind prep_backward(PrepKind k);  // col2im, unpool, unflatten
StepOp vector_op(Stage st, int layer, VectorKind v, int sub = 0);
// the forward passes of every layer
std::vector<StepOp> forward_ops(const Config& cfg, const Workload& w, const StepLayout& l, int64_t m);

}  // namespace systrain
