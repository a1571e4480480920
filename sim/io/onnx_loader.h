// network.onnx: an ONNX model read with ONNX's own protobuf classes (Debian's
// libonnx-dev) into the config's layers and the model's weights.
//
// The graph must be a chain from its one data input to its output. Each node
// becomes part of a layer of the config:
//   Gemm (transA 0, any transB; alpha and beta folded into the weights and
//   the bias; a bias of N values or one), MatMul by a constant [K, N] and an
//   Add of N values after it (its bias): a dense layer;
//   Conv (2-D, group 1, dilations 1; any kernel, strides and pads, auto_pad
//   included): a conv2d layer;
//   MaxPool (square kernel = strides, no padding, floor): a maxpool layer;
//   Relu: the activation of the dense or conv layer before it (through any
//   maxpool and flatten between them: ReLU commutes with max and with
//   reordering); Flatten (axis 1) and a Reshape that only flattens: a
//   flatten layer; Identity and Dropout: nothing; a final Softmax or
//   LogSoftmax: absorbed into the loss (softmax cross-entropy).
// Initializers (and Constant nodes) are the weights; ONNX's NCHW and
// [F, C, kh, kw] are PyTorch's. Anything else (an op, a branch such as a
// residual Add, a dynamic dimension, a data type other than float32) is an
// OnnxError naming the node, its op type and its inputs, and listing what is
// supported.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.h"

namespace systrain {

class OnnxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A tensor read from a TensorProto: float32 (float64 converted) in data, or
// int64/int32 (a shape) in ints.
struct OnnxTensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> data;
  std::vector<int64_t> ints;
  bool is_int = false;
};

struct OnnxModel {
  std::vector<int> input_shape;       // [F] or [C, H, W] (the batch dimension dropped)
  int64_t batch = 0;                  // the input's first dimension when the file fixes it (0: symbolic)
  std::vector<LayerConfig> layers;
  std::vector<LayerWeights> weights;  // per layer (empty for maxpool, flatten)
  std::string final_softmax;          // "Softmax", "LogSoftmax" or "" (absorbed into the loss)
  std::string input_name, output_name;
  bool wrapped_in = false, wrapped_out = false;  // OnnxOptions::wrap added an identity layer before, after
};

struct OnnxOptions {
  // graph inputs to read as constants (the ONNX backend tests give a Gemm's
  // or a Conv's weights as inputs)
  std::vector<OnnxTensor> bound;
  // `systrain onnx-test`: a graph that does not start with a Gemm, MatMul or
  // Conv gets an identity layer before it (1x1 conv or dense, weights I,
  // exact in float32), and one that does not end with a dense layer gets a
  // flatten and an identity dense after it, so that a single MaxPool, Relu
  // or Conv node runs as a network of the config
  bool wrap = false;
};

// Throws OnnxError.
OnnxModel load_onnx(const std::string& path, const OnnxOptions& options = {});
// The same from the file's bytes (`path` names it in messages): the fuzz target's entry.
OnnxModel load_onnx_bytes(const std::string& bytes, const std::string& path, const OnnxOptions& options = {});
// The graph's inputs that are not initializers, in order (a backend test's
// input_K.pb is its K-th).
std::vector<std::string> onnx_graph_inputs(const std::string& path);
// A TensorProto file (the backend tests' input_N.pb, output_N.pb).
OnnxTensor read_onnx_tensor(const std::string& path);

// The ops the importer takes, for messages
const char* onnx_supported_ops();

}  // namespace systrain
