// Typed, immutable-after-load configuration of one systrain run
// (schema_version 1, see README "Config reference").
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace systrain {

// the kind of accelerator: which hardware the schedules run on
// edge: the junction-pipelined edge-processing trainer of pre-defined sparse
// networks (model/edge/)
enum class AcceleratorKind { kSystolic, kEdge };
enum class NumericsKind { kFixed, kFloat32 };
enum class LayerType { kConv2d, kMaxpool, kFlatten, kDense };
enum class Activation { kNone, kRelu, kSigmoid };  // sigmoid: the edge trainer's
enum class Dataset { kFashionMnist, kSynthetic };
enum class ScheduleKind { kInference, kBaseline, kInterleaved, kSpeculative, kPipelined };  // pipelined: edge
// the forward pass's dataflow; auto = per layer, the fewest cycles by the
// closed forms of WS, OS and IS
enum class Dataflow { kWs, kOs, kIs, kAuto };
// how a topology file's conv rows size their output when (IFMAP − filter) is
// not a multiple of the stride: SCALE-Sim rounds up, PyTorch down
enum class TopologyConvention { kScalesim, kPytorch };
enum class SpecPolicy { kGradientReuse, kOutputSpeculation };
enum class Engines { kSplit, kDual };
enum class VerifyMode { kSample, kBatch };
enum class Backend { kTlm, kRtl, kCosim };
// how much of a run the reports hold: every op and layer, the layers, or the totals
enum class ReportDetail { kFull, kLayers, kTotals };
// the loss: auto = softmax_xent on the array, sigmoid_xent (sigmoid outputs
// against one-hot labels, δ = a − y) on the edge trainer
enum class Loss { kAuto, kSoftmaxXent, kSigmoidXent };
enum class InterleaverStart { kZeros, kSeeded };
// a training run's first weights: the model file's (network.onnx), or
// Glorot-uniform from the seed; auto = the file's when it has them
enum class Init { kAuto, kModel, kGlorot };

// A layer's weights as a model file gave them, in systrain's layout: W as
// [K][N] row-major (a conv's K in (c, i, j) order, as im2col makes it) and
// the bias [N] (empty: none).
struct LayerWeights {
  std::vector<float> w, b;
};

struct LayerConfig {
  LayerType type = LayerType::kDense;
  int units = 0;        // dense
  int filters = 0;      // conv2d
  int kernel = 3;       // conv2d
  int stride = 1;       // conv2d
  int padding = 0;      // conv2d: the top padding (and every side's unless set below)
  // conv2d, non-square or asymmetric (ONNX models): 0 / -1 = as above
  int kernel_w = 0, stride_w = 0;                    // 0: kernel, stride
  int padding_left = -1, padding_bottom = -1, padding_right = -1;  // -1: padding, padding, padding_left
  int kw() const { return kernel_w > 0 ? kernel_w : kernel; }
  int sw() const { return stride_w > 0 ? stride_w : stride; }
  int pad_top() const { return padding; }
  int pad_left() const { return padding_left >= 0 ? padding_left : padding; }
  int pad_bottom() const { return padding_bottom >= 0 ? padding_bottom : padding; }
  int pad_right() const { return padding_right >= 0 ? padding_right : pad_left(); }
  int size = 2;         // maxpool: the window
  int pool_stride = 0, pool_padding = 0;  // maxpool: stride (0 = size), padding on every side (less than size)
  int pool_step() const { return pool_stride > 0 ? pool_stride : size; }
  Activation activation = Activation::kNone;
  bool bias = false;    // dense, conv2d
  int fan_out = 0;      // dense on the edge trainer: the out-degree of each of its input neurons (0: dense)
  bool decoded = true;  // false when its type could not be read (the checks across layers then say nothing)
};

// One row of a SCALE-Sim topology file (model/workload/topology.h reads them).
struct TopologyLayer {
  std::string name;
  bool conv = true;
  int64_t ifmap_h = 0, ifmap_w = 0, filter_h = 0, filter_w = 0, channels = 0, filters = 0, stride = 1;  // conv
  int64_t m = 0, n = 0, k = 0;  // the GEMM (conv: per image)
  int line = 0;
  bool round_up = true;  // SCALE-Sim's convention (network.topology_convention)
  int64_t ofmap(int64_t in, int64_t f) const { return (in - f + (round_up ? stride - 1 : 0)) / stride + 1; }
  int64_t ofmap_h() const { return conv ? ofmap(ifmap_h, filter_h) : 0; }
  int64_t ofmap_w() const { return conv ? ofmap(ifmap_w, filter_w) : 0; }
};

struct Config {
  int schema_version = 1;
  std::string name = "systrain";
  struct {
    AcceleratorKind kind = AcceleratorKind::kSystolic;
    double clock_mhz = 500;
    struct {
      int rows = 16, cols = 16, pe_multipliers = 1;
      bool weight_double_buffer = false;
    } array;
    struct {
      NumericsKind kind = NumericsKind::kFixed;
      int data_bits = 16, frac_bits = 8, acc_bits = 32;
      // per-tensor fractional bits; -1 (null in YAML) = derived from
      // frac_bits: activations frac_bits, weights 4 more, errors and weight
      // gradients 6 more (small values: one frac_bits for every tensor did not
      // train, 9.8 % against 86.7 % in float32), at most data_bits - 2 (a sign
      // and an integer bit)
      int activation_frac_bits = -1, weight_frac_bits = -1, error_frac_bits = -1, gradient_frac_bits = -1;
      int derived_frac(int more) const { return std::max(frac_bits, std::min(frac_bits + more, data_bits - 2)); }
      int activation_frac() const { return activation_frac_bits < 0 ? frac_bits : activation_frac_bits; }
      int weight_frac() const { return weight_frac_bits < 0 ? derived_frac(4) : weight_frac_bits; }
      int error_frac() const { return error_frac_bits < 0 ? derived_frac(6) : error_frac_bits; }
      int gradient_frac() const { return gradient_frac_bits < 0 ? derived_frac(6) : gradient_frac_bits; }
    } numerics;
    struct { int activations_kib = 128, weights_kib = 128, gradients_kib = 128, banks = 16, words_per_cycle = 32; } sram;
    struct { int bytes_per_cycle = 16, latency_cycles = 100; } dram;
    struct { int lanes = 0, latency_cycles = 4; } vector;  // lanes 0 = array cols
    struct { double mac = 0.5, sram_word = 2.0, dram_word = 100.0, vector_element = 0.5; } energy_pj;
    // kind: edge (model/edge/edge_shape.h)
    struct {
      int input_bits = 8;
      std::vector<int> z;  // edges a clock, per junction
      int proc_latency = 2;
      struct { int type = 2; InterleaverStart start = InterleaverStart::kZeros; } interleaver;
    } edge;
  } accelerator;
  struct {
    std::vector<int> input_shape;
    std::vector<LayerConfig> layers;
    std::string topology_csv;
    std::string onnx;  // an ONNX model instead of input_shape + layers (read by sim/io/onnx_loader.h)
    std::vector<LayerWeights> model_weights;  // per config layer (empty for maxpool, flatten): the file's
    TopologyConvention topology_convention = TopologyConvention::kScalesim;
    std::vector<TopologyLayer> topology;  // the file, as the loader read it
  } network;
  struct {
    Dataset dataset = Dataset::kFashionMnist;
    std::string data_dir = "/usr/share/datasets/fashion-mnist";
    int64_t train_samples = 60000, test_samples = 10000;
    int batch = 32, epochs = 1;
    double learning_rate = 0.05;
    int64_t seed = 1;
    Init init = Init::kAuto;
    Loss loss = Loss::kAuto;
  } training;
  // the weights a training run starts from are the model file's
  bool init_from_model() const {
    return training.init == Init::kModel || (training.init == Init::kAuto && !network.model_weights.empty());
  }
  struct {
    ScheduleKind kind = ScheduleKind::kInference;
    Dataflow forward_dataflow = Dataflow::kWs;
    struct {
      SpecPolicy policy = SpecPolicy::kGradientReuse;
      double threshold = 0.25;
      Engines engines = Engines::kSplit;
      VerifyMode verify = VerifyMode::kSample;  // output_speculation: recompute the misses, or the batch
      int forward_cols = 0;           // split: array columns of the forward engine; 0 = cols / 2
      double assumed_hit_rate = 0.5;  // functional: false (no outputs to compare)
    } speculation;
  } schedule;
  struct {
    Backend backend = Backend::kTlm;
    bool functional = true;
    // tlm: each pass's tiles by classes, computed once, its values as one GEMM (false: every tile, the reference path)
    bool tile_classes = true;
    int64_t max_steps = 0;
    std::string vcd;  // empty = none
    // the cycles a trace holds (a 16x16 RTL trace is ~26 KB a cycle); null
    // (vcd_window_auto) = 2,001 cycles from the cycle the array can first
    // work (the first input and weights in from DRAM), resolved by the run
    std::array<int64_t, 2> vcd_window{0, 2000};
    bool vcd_window_auto = true;
    std::string dump_tensors;  // empty = none
    // full: report.json/report.csv with every op and layer; layers: without the
    // ops; totals: the totals only, and no per-layer files (LLM-scale runs)
    ReportDetail report_detail = ReportDetail::kFull;
  } simulation;

  bool is_float() const { return accelerator.numerics.kind == NumericsKind::kFloat32; }
  // the width of one memory word. float32 values are a functional stand-in
  // computed by the TLM model on the same data_bits-word accelerator, so the
  // timing (SRAM capacities, DRAM transfers) is the fixed-point one
  int word_bits() const { return accelerator.numerics.data_bits; }
  // words an acc_bits partial sum takes (one float in float32)
  int words_per_psum() const {
    if (is_float()) return 1;
    return (accelerator.numerics.acc_bits + accelerator.numerics.data_bits - 1) /
           accelerator.numerics.data_bits;
  }
  // split: columns of the forward engine (the backward engine has the rest)
  int forward_cols() const {
    const auto& s = schedule.speculation;
    return s.forward_cols > 0 ? s.forward_cols : accelerator.array.cols / 2;
  }
  // Rows the buffers are sized for: a step never has more samples than the
  // batch or than the run has (training.train_samples / test_samples when
  // they are set; 0 = the whole data set, whose size the config does not say)
  int64_t buffer_rows() const {
    const int64_t all = training.dataset == Dataset::kSynthetic ? 10000 : training.batch;  // synthetic: 10,000
    const int64_t train = training.train_samples > 0 ? training.train_samples : all;
    const int64_t test = training.test_samples > 0 ? training.test_samples : all;
    const int64_t most = schedule.kind == ScheduleKind::kInference ? test : std::max(train, test);
    return std::max<int64_t>(1, std::min<int64_t>(training.batch, most));
  }
  int vector_lanes() const { return accelerator.vector.lanes > 0 ? accelerator.vector.lanes : accelerator.array.cols; }
};

const char* to_string(ScheduleKind k);
const char* to_string(Backend b);
const char* to_string(Dataflow d);
const char* to_string(LayerType t);

}  // namespace systrain
