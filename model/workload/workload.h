// Lowering a network to per-layer GEMMs. A dense layer with K inputs and N
// units is Y[M×N] = X[M×K]·W[K×N] (+ b), M = the samples of the step; a bias
// is W's extra last row, met by a constant-1 column of X (kw = K + 1). ReLU,
// when asked, is applied as the outputs leave the array.
//
// Conv networks. Images are stored NHWC: a [C, H, W] image of m samples is a
// matrix of m·H·W rows (b, h, w) and C lanes, which is exactly what a GEMM
// writes when its rows are output pixels and its lanes filters. A conv2d
// layer is the GEMM of its im2col view: M = m·H'·W' (`rows` = H'·W' a
// sample), K = C·kh·kw (columns ordered c, i, j as PyTorch orders a filter's
// weights), N = filters; its optional bias is again W's last row. Between two
// GEMM layers run the vector-unit stages (`prep`) that turn the previous
// layer's output (or the input image) into the next layer's X: maxpool
// (size s, stride s, floor), flatten (NHWC to the C, H, W feature order of
// PyTorch) and im2col. Each has a backward stage: col2im (a gather-sum over
// the windows that cover an input element), the argmax scatter of maxpool,
// and the inverse permutation of flatten.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"

namespace systrain {

struct ImageShape {
  int64_t c = 0, h = 1, w = 1;
  int64_t pixels() const { return h * w; }
  int64_t elements() const { return c * h * w; }
};

enum class PrepKind { kPool, kFlatten, kIm2col };

struct Prep {
  PrepKind kind = PrepKind::kFlatten;
  ImageShape in;    // NHWC
  ImageShape out;   // pool: the pooled image; flatten: {C·H·W, 1, 1}; im2col: {C·k·k, H', W'}
  // im2col: the kernel's height and width, strides, and the padding before
  // (top, left) and after (bottom, right); pool: kernel = stride = size
  int kernel = 1, kernel_w = 1, stride = 1, stride_w = 1, pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int config_layer = 0;  // the config's layer it comes from (a conv's im2col: the conv)
  // words a sample: read from the input, written to the output (im2col reads
  // only the taps inside the image; col2im reads as many and adds them up)
  int64_t reads_per_sample() const;
  int64_t writes_per_sample() const;
};

struct LayerPlan {
  int index = 0;             // among the GEMM layers
  int config_layer = 0;      // the config's layer (network.layers[i]; a topology row)
  int64_t k = 0, n = 0;
  int64_t rows = 1;          // GEMM rows a sample: H'·W' for a conv, 1 for dense
  bool relu = false, bias = false;
  bool conv = false;
  std::vector<Prep> prep;    // the stages that make this layer's X, in forward order
  std::string name;          // topology files: the row's layer name
  int64_t w_addr = 0;
  int64_t kw() const { return k + (bias ? 1 : 0); }  // rows of W
  int64_t gemm_rows(int64_t m) const { return m * rows; }
  // the [C, H, W] this layer's output is, as an image (a dense layer: {n, 1, 1})
  ImageShape out_shape = {};
};

// A layer of the config as the reports and dumps number it: its type and
// its GEMM layer (-1: maxpool, flatten).
struct ConfigLayer {
  std::string type;
  int gemm = -1;
};

struct Workload {
  std::vector<LayerPlan> layers;
  std::vector<ConfigLayer> config_layers;  // network.layers, in order (a topology: its rows)
  int64_t input_width = 0;   // features a sample: K of the first layer, or C·H·W of an input image
  ImageShape input;          // the input as an image ({N, 1, 1} for [N])
  bool image_input = false;  // the first layer reads an image (it has prep stages)
  bool from_topology = false;
  int64_t weight_words = 0;  // all layers (with bias rows)
};

Workload build_workload(const Config& cfg);

// The im2col geometry of one dimension: output size, and the taps of all
// output positions that fall inside the input (the rest meet padding).
// (pad_after < 0: as pad_before)
int64_t conv_out(int64_t in, int kernel, int stride, int pad_before, int pad_after = -1);
// (outputs: the output positions to count, when not conv_out's)
int64_t conv_valid_taps(int64_t in, int kernel, int stride, int pad_before, int64_t outputs);

// Warnings about a valid config whose results a user should doubt:
// fixed-point formats whose every operand saturates. (SRAM bandwidth
// shortfalls are not warnings: they stall the array, model/systolic/bandwidth.h.)
std::vector<std::string> config_warnings(const Config& cfg);


}  // namespace systrain
