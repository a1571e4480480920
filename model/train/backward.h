// The backward operations of one layer, built once for every schedule.
//   separate passes: AG pass (not for layer 0), the layer's prep stages
//                    backward (col2im, unpool, unflatten), the ReLU mask of
//                    the layer below; WG pass; update in the vector unit
//   interleaved:     one IL pass (dX and the update of W in the PEs), then
//                    the prep stages backward and the mask
// A schedule asks for the parts it runs: the baseline all of them; the
// speculative schedule's gradient_reuse AG and WG (it updates later, with the
// stored gradients), output_speculation the AG chain and, after verifying,
// WG and the update.
#pragma once
#include <vector>

#include "schedule.h"

namespace systrain {

struct BackwardParts {
  bool interleaved = false;  // one IL pass instead of AG, WG and update
  bool ag = true, wg = true, update = true;
};

// appends layer i's operations for m rows of layout l to `ops`
void backward_ops(const Config& cfg, const Workload& w, const StepLayout& l, int i, int64_t m, BackwardParts parts,
                  std::vector<StepOp>& ops);

}  // namespace systrain
