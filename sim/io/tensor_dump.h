// simulation.dump_tensors: a StepObserver that writes, per step S and layer
// L of the config (network.layers[L], maxpool and flatten included: their x,
// y, dy and dx), the real values of the step's tensors as NumPy .npy files (float32;
// labels int64): DIR/step_S/labels.npy and DIR/step_S/layer_L/{x, y,
// w_before, w_after, dy, dx, dw}.npy, plus {b_before, b_after, db}.npy for a
// layer with a bias. x [B,K] is the input, y [B,N] the output after the
// activation (the logits for the last layer), dy [B,N] the error at the
// pre-activation output, dx [B,K] = dY·Wᵀ before the ReLU mask (not for layer
// 0), dw [K,N] = Xᵀ·dY. The interleaved schedule never writes dW to SRAM: its
// dw.npy is requant(Xᵀ·dY) computed here with the array's arithmetic from the
// x and dy it read (the value the PEs' G registers held).
// Conv layers use PyTorch's layouts, so torch.nn.functional.conv2d applies
// directly: x [B,C,H,W] (the image the conv reads), y and dy [B,F,H',W'], dx
// [B,C,H,W] (after col2im), w/dw [F,C,kh,kw], b/db [F]. A dense layer after
// flatten has x [B, C·H·W] in PyTorch's flatten order.
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "controller.h"
#include "schedule.h"
#include "workload.h"

namespace systrain {

class TensorDump final : public StepObserver {
 public:
  TensorDump(const Config& cfg, const Workload& w);
  void before_step(int64_t step, const Memory& mem, const std::vector<uint8_t>& labels) override;
  void after_op(int64_t step, const StepOp& op, const Memory& mem) override;
  // the run ended early: the step being dumped is removed (it may be cut
  // short); returns what the dump still holds, for the message
  std::string cut_short();

 private:
  std::vector<float> real(const Memory& mem, const Mat& m, int64_t rows, int64_t cols, int frac) const;
  void write(const std::string& path, const std::vector<float>& v, int64_t rows, int64_t cols) const;
  // an NHWC image of the step's samples as [B, C, H, W]
  std::vector<float> image(const Memory& mem, const Mat& m, const ImageShape& s, int frac) const;
  void write_image(const std::string& path, const std::vector<float>& v, const ImageShape& s) const;
  std::string dir(int64_t step, int layer) const;

  const Config& cfg_;
  const Workload w_;  // a copy: callers pass a temporary (ASan found the dangling reference)
  StepLayout layout_;
  StepNumerics sn_;
  std::string root_;
  int64_t m_ = 0;
  int64_t last_step_ = -1;  // the step being dumped
  std::vector<std::vector<float>> w_before_;
};

// Writes one .npy file (version 1.0) whole, through a temporary name.
// `descr` is the NumPy dtype ("<f4", "<i8").
void write_npy(const std::string& path, const void* data, size_t bytes, const std::string& descr,
               const std::vector<int64_t>& shape);

}  // namespace systrain
