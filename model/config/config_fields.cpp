// The table of config keys (config_fields) and the enum names.
#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <tuple>

#include "config_detail.h"
#include "config_schema.h"

namespace systrain {

const char* Node::kind_name() const {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kScalar: return "a scalar";
    case Kind::kSeq: return "a list";
    case Kind::kMap: return "a mapping";
  }
  return "?";
}

std::string ConfigError::str() const {
  std::string where = loc.file.empty() ? std::string("<config>") : loc.file;
  if (loc.line > 0) where += fmt::format(":{}:{}", loc.line, loc.col);
  return path.empty() ? fmt::format("{}: {}", where, message)
                      : fmt::format("{}: {}: {}", where, path, message);
}

const char* to_string(ScheduleKind k) {
  switch (k) {
    case ScheduleKind::kInference: return "inference";
    case ScheduleKind::kBaseline: return "baseline";
    case ScheduleKind::kInterleaved: return "interleaved";
    case ScheduleKind::kSpeculative: return "speculative";
    case ScheduleKind::kPipelined: return "pipelined";
  }
  return "?";
}
const char* to_string(Backend b) {
  switch (b) {
    case Backend::kTlm: return "tlm";
    case Backend::kRtl: return "rtl";
    case Backend::kCosim: return "cosim";
  }
  return "?";
}
const char* to_string(Dataflow d) {
  switch (d) {
    case Dataflow::kWs: return "ws";
    case Dataflow::kOs: return "os";
    case Dataflow::kIs: return "is";
    case Dataflow::kAuto: return "auto";
  }
  return "?";
}
const char* to_string(LayerType t) {
  switch (t) {
    case LayerType::kConv2d: return "conv2d";
    case LayerType::kMaxpool: return "maxpool";
    case LayerType::kFlatten: return "flatten";
    case LayerType::kDense: return "dense";
  }
  return "?";
}

namespace config_detail {

std::string found(const Node& n) {
  if (n.kind == Node::Kind::kScalar) return fmt::format("'{}'", n.scalar);
  return n.kind_name();
}

std::optional<int64_t> parse_int(const Node& n) {
  if (n.kind != Node::Kind::kScalar || n.scalar.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(n.scalar.c_str(), &end, 10);
  if (errno != 0 || end != n.scalar.c_str() + n.scalar.size()) return std::nullopt;  // all of it (no NUL inside)
  return v;
}
std::optional<double> parse_num(const Node& n) {
  if (n.kind != Node::Kind::kScalar || n.scalar.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(n.scalar.c_str(), &end);
  if (errno != 0 || end != n.scalar.c_str() + n.scalar.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}
size_t utf8_length(const std::string& s, size_t i) {
  // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char c = b[i];
  if (c < 0x80) return 1;
  const size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  const unsigned char c1 = b[i + 1];
  const bool second_ok = c == 0xe0   ? c1 >= 0xa0 && c1 <= 0xbf
                         : c == 0xed ? c1 >= 0x80 && c1 <= 0x9f
                         : c == 0xf0 ? c1 >= 0x90 && c1 <= 0xbf
                         : c == 0xf4 ? c1 >= 0x80 && c1 <= 0x8f
                                     : c1 >= 0x80 && c1 <= 0xbf;
  if (!second_ok) return 0;
  for (size_t k = 2; k < len; ++k)
    if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return len;
}

std::vector<LayerEntry> layer_entries(const LayerConfig& l) {
  std::vector<LayerEntry> e{{"type", to_string(l.type), true}};
  if (l.type == LayerType::kDense) e.push_back({"units", std::to_string(l.units), false});
  if (l.type == LayerType::kConv2d)
    for (const auto& [k, v] : {std::pair<const char*, int>{"filters", l.filters}, {"kernel", l.kernel},
                               {"stride", l.stride}, {"padding", l.padding}})
      e.push_back({k, std::to_string(v), false});
  if (l.type == LayerType::kConv2d)  // the non-square and asymmetric keys, only when they say something
    for (const auto& [k, v, set] : {std::tuple<const char*, int, bool>{"kernel_w", l.kw(), l.kw() != l.kernel},
                                    {"stride_w", l.sw(), l.sw() != l.stride},
                                    {"padding_left", l.pad_left(), l.pad_left() != l.padding},
                                    {"padding_bottom", l.pad_bottom(), l.pad_bottom() != l.padding},
                                    {"padding_right", l.pad_right(), l.pad_right() != l.pad_left()}})
      if (set) e.push_back({k, std::to_string(v), false});
  if (l.type == LayerType::kMaxpool) {
    e.push_back({"size", std::to_string(l.size), false});
    // overlapping or padded windows, only when they say something
    if (l.pool_step() != l.size) e.push_back({"stride", std::to_string(l.pool_step()), false});
    if (l.pool_padding != 0) e.push_back({"padding", std::to_string(l.pool_padding), false});
  }
  if (l.type == LayerType::kDense && l.fan_out > 0) e.push_back({"fan_out", std::to_string(l.fan_out), false});
  if (l.type == LayerType::kDense || l.type == LayerType::kConv2d) {
    e.push_back({"activation", l.activation == Activation::kRelu ? "relu" : l.activation == Activation::kSigmoid ? "sigmoid" : "none", true});
    e.push_back({"bias", l.bias ? "true" : "false", false});
  }
  return e;
}

size_t first_non_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_length(s, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string::npos;
}

// A JSON string: quotes, backslashes and control characters escaped, and a
// byte that does not belong to a valid UTF-8 sequence written as U+FFFD
// (JSON text is UTF-8; configs are refused with such bytes, but paths and
// other strings may hold any).
std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const size_t len = utf8_length(s, i);
    if (c == '"' || c == '\\') o += '\\', o += c, ++i;
    else if (len == 1 && static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", c), ++i;
    else if (len == 0) o += "\\ufffd", ++i;
    else o.append(s, i, len), i += len;
  }
  return o + "\"";
}

}  // namespace config_detail

namespace {

using namespace config_detail;

std::string num_str(double v) { return fmt::format("{}", v); }

template <class Get>
FieldSpec int_field(std::string path, Get get, int64_t lo, int64_t hi, std::string help) {
  return {std::move(path), fmt::format("integer in [{}, {}]", lo, hi), std::move(help),
          [get, lo, hi](Config& c, const Node& n) -> std::optional<std::string> {
            auto v = parse_int(n);
            if (!v || *v < lo || *v > hi)
              return fmt::format("expected an integer in [{}, {}], found {}", lo, hi, found(n));
            get(c) = static_cast<std::remove_reference_t<decltype(get(c))>>(*v);
            return std::nullopt;
          },
          [get](const Config& c) { return fmt::format("{}", get(const_cast<Config&>(c))); }};
}
// an integer or null (stored as -1): "same as another key"
template <class Get>
FieldSpec opt_int_field(std::string path, Get get, int64_t lo, int64_t hi, std::string help) {
  return {std::move(path), fmt::format("integer in [{}, {}] or null", lo, hi), std::move(help),
          [get, lo, hi](Config& c, const Node& n) -> std::optional<std::string> {
            if (n.kind == Node::Kind::kNull || (n.kind == Node::Kind::kScalar && (n.scalar == "null" || n.scalar == "~"))) {
              get(c) = -1;
              return std::nullopt;
            }
            auto v = parse_int(n);
            if (!v || *v < lo || *v > hi)
              return fmt::format("expected an integer in [{}, {}] or null, found {}", lo, hi, found(n));
            get(c) = static_cast<int>(*v);
            return std::nullopt;
          },
          [get](const Config& c) {
            const int v = get(const_cast<Config&>(c));
            return v < 0 ? std::string("null") : fmt::format("{}", v);
          }};
}
template <class Get>
FieldSpec num_field(std::string path, Get get, double lo, double hi, bool lo_open, std::string help) {
  std::string range = fmt::format("number in {}{}, {}]", lo_open ? "(" : "[", lo, hi);
  return {std::move(path), range, std::move(help),
          [get, lo, hi, lo_open, range](Config& c, const Node& n) -> std::optional<std::string> {
            auto v = parse_num(n);
            if (!v || *v > hi || *v < lo || (lo_open && *v == lo))
              return fmt::format("expected a {}, found {}", range, found(n));
            get(c) = *v;
            return std::nullopt;
          },
          [get](const Config& c) { return num_str(get(const_cast<Config&>(c))); }};
}
template <class Get>
FieldSpec bool_field(std::string path, Get get, std::string help) {
  return {std::move(path), "true | false", std::move(help),
          [get](Config& c, const Node& n) -> std::optional<std::string> {
            if (n.kind == Node::Kind::kScalar && (n.scalar == "true" || n.scalar == "false")) {
              get(c) = n.scalar == "true";
              return std::nullopt;
            }
            return fmt::format("expected true or false, found {}", found(n));
          },
          [get](const Config& c) { return get(const_cast<Config&>(c)) ? "true" : "false"; }};
}
// a string; `nullable` accepts null (stored as "")
template <class Get>
FieldSpec str_field(std::string path, Get get, bool nullable, std::string help) {
  return {std::move(path), nullable ? "string or null" : "string", std::move(help),
          [get, nullable](Config& c, const Node& n) -> std::optional<std::string> {
            if (n.kind == Node::Kind::kNull && nullable) { get(c).clear(); return std::nullopt; }
            if (n.kind == Node::Kind::kScalar && !n.scalar.empty() &&
                !(nullable && (n.scalar == "null" || n.scalar == "~"))) {
              get(c) = n.scalar;
              return std::nullopt;
            }
            if (n.kind == Node::Kind::kScalar && nullable) { get(c).clear(); return std::nullopt; }
            return fmt::format("expected a {}, found {}", nullable ? "string or null" : "non-empty string", found(n));
          },
          [get, nullable](const Config& c) {
            const std::string& s = get(const_cast<Config&>(c));
            return (s.empty() && nullable) ? std::string("null") : json_str(s);
          }};
}
template <class E, class Get>
FieldSpec enum_field(std::string path, Get get, std::vector<std::pair<std::string, E>> choices,
                     std::string help) {
  std::string names;
  for (auto& [s, e] : choices) names += (names.empty() ? "" : " | ") + s;
  return {std::move(path), names, std::move(help),
          [get, choices, names](Config& c, const Node& n) -> std::optional<std::string> {
            if (n.kind == Node::Kind::kScalar)
              for (auto& [s, e] : choices)
                if (s == n.scalar) { get(c) = e; return std::nullopt; }
            std::vector<std::string> cand;
            for (auto& [s, e] : choices) cand.push_back(s);
            std::string hint = n.kind == Node::Kind::kScalar ? did_you_mean(n.scalar, cand) : "";
            return fmt::format("expected one of {}, found {}{}", names, found(n),
                               hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint));
          },
          [get, choices](const Config& c) {
            for (auto& [s, e] : choices)
              if (e == get(const_cast<Config&>(c))) return json_str(s);
            return std::string("null");
          }};
}

std::vector<FieldSpec> make_fields() {
  using C = Config;
  std::vector<FieldSpec> f;
  f.push_back(int_field("schema_version", [](C& c) -> int& { return c.schema_version; }, 1, 1,
                        "configuration format version"));
  f.push_back(str_field("name", [](C& c) -> std::string& { return c.name; }, false,
                        "run name, used in titles"));
  f.push_back(enum_field<AcceleratorKind>("accelerator.kind",
                                          [](C& c) -> AcceleratorKind& { return c.accelerator.kind; },
                                          {{"systolic", AcceleratorKind::kSystolic}, {"edge", AcceleratorKind::kEdge}},
                                          "the accelerator: an R×C systolic array (accelerator.array) with a vector unit"));
  f.push_back(num_field("accelerator.clock_mhz", [](C& c) -> double& { return c.accelerator.clock_mhz; },
                        1, 1e5, false,
                        "clock frequency (reports wall-clock time of the simulated run; at 1 MHz SystemC's 64-bit "
                        "picosecond timeline holds 9·10^12 cycles)"));
  f.push_back(int_field("accelerator.array.rows", [](C& c) -> int& { return c.accelerator.array.rows; },
                        1, 256, "PE rows R"));
  f.push_back(int_field("accelerator.array.cols", [](C& c) -> int& { return c.accelerator.array.cols; },
                        1, 256, "PE columns C"));
  f.push_back(int_field("accelerator.array.pe_multipliers",
                        [](C& c) -> int& { return c.accelerator.array.pe_multipliers; }, 1, 2,
                        "multipliers per PE (2 lets the interleaved schedule do AG and WG MACs in one cycle)"));
  f.push_back(bool_field("accelerator.array.weight_double_buffer",
                         [](C& c) -> bool& { return c.accelerator.array.weight_double_buffer; },
                         "WS tiles load the next tile's weights into shadow registers behind their stream, so the "
                         "next tile skips its LOAD phase"));
  f.push_back(enum_field<NumericsKind>("accelerator.numerics.kind",
                                       [](C& c) -> NumericsKind& { return c.accelerator.numerics.kind; },
                                       {{"fixed", NumericsKind::kFixed}, {"float32", NumericsKind::kFloat32}},
                                       "number format (the RTL implements fixed)"));
  f.push_back(int_field("accelerator.numerics.data_bits",
                        [](C& c) -> int& { return c.accelerator.numerics.data_bits; }, 2, 16,
                        "operand width; also the unit in which memory accesses are counted"));
  f.push_back(int_field("accelerator.numerics.frac_bits",
                        [](C& c) -> int& { return c.accelerator.numerics.frac_bits; }, 0, 47,
                        "fractional bits of operands (must be < acc_bits)"));
  f.push_back(int_field("accelerator.numerics.acc_bits",
                        [](C& c) -> int& { return c.accelerator.numerics.acc_bits; }, 2, 48,
                        "accumulator width (>= data_bits); sums wrap modulo 2^acc_bits"));
  f.push_back(opt_int_field("accelerator.numerics.activation_frac_bits",
                            [](C& c) -> int& { return c.accelerator.numerics.activation_frac_bits; }, 0, 47,
                            "fractional bits of activations (x, y); null = frac_bits"));
  f.push_back(opt_int_field("accelerator.numerics.weight_frac_bits",
                            [](C& c) -> int& { return c.accelerator.numerics.weight_frac_bits; }, 0, 47,
                            "fractional bits of weights; null = frac_bits + 4, at most data_bits - 2 (never below frac_bits)"));
  f.push_back(opt_int_field("accelerator.numerics.error_frac_bits",
                            [](C& c) -> int& { return c.accelerator.numerics.error_frac_bits; }, 0, 47,
                            "fractional bits of errors (dy, dx); null = frac_bits + 6, at most data_bits - 2 (never below frac_bits)"));
  f.push_back(opt_int_field("accelerator.numerics.gradient_frac_bits",
                            [](C& c) -> int& { return c.accelerator.numerics.gradient_frac_bits; }, 0, 47,
                            "fractional bits of weight gradients (dw); null = frac_bits + 6, at most data_bits - 2 (never below frac_bits)"));
  f.push_back(int_field("accelerator.sram.activations_kib",
                        [](C& c) -> int& { return c.accelerator.sram.activations_kib; }, 1, 1 << 20,
                        "activation buffer size"));
  f.push_back(int_field("accelerator.sram.weights_kib",
                        [](C& c) -> int& { return c.accelerator.sram.weights_kib; }, 1, 1 << 20,
                        "weight buffer size"));
  f.push_back(int_field("accelerator.sram.gradients_kib",
                        [](C& c) -> int& { return c.accelerator.sram.gradients_kib; }, 1, 1 << 20,
                        "gradient buffer size: errors dY, partial sums, the baseline's dW (a dW that does not fit spills to DRAM)"));
  f.push_back(int_field("accelerator.sram.banks", [](C& c) -> int& { return c.accelerator.sram.banks; },
                        1, 1024, "banks per buffer; word address a is in bank a mod banks, and a bank serves max(1, words_per_cycle / banks) words a cycle: more stalls the array"));
  f.push_back(int_field("accelerator.sram.words_per_cycle",
                        [](C& c) -> int& { return c.accelerator.sram.words_per_cycle; }, 1, 1 << 16,
                        "words each buffer moves a cycle, reads and writes together: a cycle that needs more stalls the array"));
  f.push_back(int_field("accelerator.dram.bytes_per_cycle",
                        [](C& c) -> int& { return c.accelerator.dram.bytes_per_cycle; }, 1, 1 << 16,
                        "DRAM bandwidth"));
  f.push_back(int_field("accelerator.dram.latency_cycles",
                        [](C& c) -> int& { return c.accelerator.dram.latency_cycles; }, 0, 1 << 20,
                        "DRAM access latency"));
  f.push_back(int_field("accelerator.vector.lanes", [](C& c) -> int& { return c.accelerator.vector.lanes; }, 0,
                        1 << 16, "elements the vector unit (loss, ReLU masks, baseline update) handles a cycle; 0 = cols"));
  f.push_back(int_field("accelerator.vector.latency_cycles",
                        [](C& c) -> int& { return c.accelerator.vector.latency_cycles; }, 0, 1 << 16,
                        "pipeline latency of one vector-unit operation"));
  f.push_back(num_field("accelerator.energy_pj.mac", [](C& c) -> double& { return c.accelerator.energy_pj.mac; },
                        0, 1e9, false, "energy of one MAC"));
  f.push_back(num_field("accelerator.energy_pj.sram_word",
                        [](C& c) -> double& { return c.accelerator.energy_pj.sram_word; }, 0, 1e9, false,
                        "energy of one SRAM word access"));
  f.push_back(num_field("accelerator.energy_pj.dram_word",
                        [](C& c) -> double& { return c.accelerator.energy_pj.dram_word; }, 0, 1e9, false,
                        "energy of one DRAM word access"));
  f.push_back(num_field("accelerator.energy_pj.vector_element",
                        [](C& c) -> double& { return c.accelerator.energy_pj.vector_element; }, 0, 1e9, false,
                        "energy of the vector unit's work on one element (loss, masks, update, im2col, col2im, pooling; "
                        "its SRAM words are counted as sram_word)"));
  // kind: edge (model/edge/edge_shape.h)
  f.push_back(int_field("accelerator.edge.input_bits", [](C& c) -> int& { return c.accelerator.edge.input_bits; }, 1,
                        16, "edge: bits of an input (unsigned, input_bits − 1 fractional: pixel / 255 rounded; "
                        "the board build: 8)"));
  f.push_back({"accelerator.edge.z", "list of positive integers, one a junction",
               "edge: edges each junction processes a clock (its weights are |W|/z rows of z words)",
               [](Config& c, const Node& n) -> std::optional<std::string> {
                 std::vector<int> v;
                 if (n.kind != Node::Kind::kSeq)
                   return fmt::format("expected a list of integers in [1, 2^20], one a junction, found {}", found(n));
                 for (size_t i = 0; i < n.items.size(); ++i) {
                   auto x = parse_int(n.items[i]);
                   if (!x || *x < 1 || *x > (1 << 20))
                     return fmt::format("expected a list of integers in [1, 2^20], one a junction; z[{}] is {}", i,
                                        found(n.items[i]));
                   v.push_back(static_cast<int>(*x));
                 }
                 c.accelerator.edge.z = v;
                 return std::nullopt;
               },
               [](const Config& c) {
                 std::string s = "[";
                 for (size_t i = 0; i < c.accelerator.edge.z.size(); ++i)
                   s += (i ? ", " : "") + std::to_string(c.accelerator.edge.z[i]);
                 return s + "]";
               }});
  f.push_back(int_field("accelerator.edge.proc_latency", [](C& c) -> int& { return c.accelerator.edge.proc_latency; },
                        0, 64, "edge: P, the pipeline stages of a junction's processing (a multiplier stage and the "
                        "adder-tree register: 2)"));
  f.push_back(int_field("accelerator.edge.interleaver.type",
                        [](C& c) -> int& { return c.accelerator.edge.interleaver.type; }, 2, 2,
                        "edge: the clash-free interleaver of the activation banks: the authors' type 2 (a start "
                        "vector a sweep over the left layer; model/edge/edge_train.h), the one systrain implements"));
  f.push_back(enum_field<InterleaverStart>(
      "accelerator.edge.interleaver.start", [](C& c) -> InterleaverStart& { return c.accelerator.edge.interleaver.start; },
      {{"zeros", InterleaverStart::kZeros}, {"seeded", InterleaverStart::kSeeded}},
      "edge: the interleaver's start vector: all zeros (the identity), or drawn from training.seed"));
  // network.input_shape and network.layers are decoded specially (lists)
  f.push_back({"network.input_shape", "list of 1 or 3 positive integers: [N] or [C, H, W]",
               "input tensor shape",
               [](Config& c, const Node& n) -> std::optional<std::string> {
                 std::vector<int> v;
                 if (n.kind == Node::Kind::kSeq && (n.items.size() == 1 || n.items.size() == 3)) {
                   for (auto& it : n.items) {
                     auto x = parse_int(it);
                     if (!x || *x < 1 || *x > (1 << 24)) { v.clear(); break; }
                     v.push_back(static_cast<int>(*x));
                   }
                 }
                 if (v.empty())
                   return fmt::format("expected [N] or [C, H, W] with positive integers, found {}",
                                      n.kind == Node::Kind::kSeq ? fmt::format("a list of {}", n.items.size()) : found(n));
                 c.network.input_shape = v;
                 return std::nullopt;
               },
               [](const Config& c) {
                 std::string s = "[";
                 for (size_t i = 0; i < c.network.input_shape.size(); ++i)
                   s += (i ? ", " : "") + std::to_string(c.network.input_shape[i]);
                 return s + "]";
               }});
  f.push_back(str_field("network.topology_csv", [](C& c) -> std::string& { return c.network.topology_csv; },
                        true, "SCALE-Sim topology file (conv or GEMM format) instead of input_shape/layers; timing only (simulation.functional: false); a relative path is taken from the config's folder"));
  f.push_back(str_field("network.onnx", [](C& c) -> std::string& { return c.network.onnx; }, true,
                        "ONNX model (a chain of Gemm, MatMul, Add as a bias, Conv, MaxPool, Relu, Flatten, Reshape, "
                        "Identity, Dropout and a final Softmax/LogSoftmax) instead of input_shape/layers; its weights "
                        "start training (training.init); a relative path is taken from the config's folder"));
  f.push_back(enum_field<TopologyConvention>(
      "network.topology_convention", [](C& c) -> TopologyConvention& { return c.network.topology_convention; },
      {{"scalesim", TopologyConvention::kScalesim}, {"pytorch", TopologyConvention::kPytorch}},
      "a topology file's conv rows where (IFMAP - filter) is not a multiple of the stride: scalesim rounds the "
      "OFMAP up (SCALE-Sim's files), pytorch down (a file padded as PyTorch pads)"));
  f.push_back(enum_field<Dataset>("training.dataset", [](C& c) -> Dataset& { return c.training.dataset; },
                                  {{"fashion-mnist", Dataset::kFashionMnist}, {"synthetic", Dataset::kSynthetic}},
                                  "input data"));
  f.push_back(str_field("training.data_dir", [](C& c) -> std::string& { return c.training.data_dir; }, false,
                        "folder of the IDX files (*-ubyte.gz)"));
  f.push_back(int_field("training.train_samples", [](C& c) -> int64_t& { return c.training.train_samples; },
                        0, 1 << 30, "prefix of the training set; 0 = all"));
  f.push_back(int_field("training.test_samples", [](C& c) -> int64_t& { return c.training.test_samples; },
                        0, 1 << 30, "prefix of the test set; 0 = all (inference runs over it)"));
  f.push_back(int_field("training.batch", [](C& c) -> int& { return c.training.batch; }, 1, 1 << 20,
                        "samples per step (the M dimension of every GEMM)"));
  f.push_back(int_field("training.epochs", [](C& c) -> int& { return c.training.epochs; }, 1, 100000,
                        "passes over the training set"));
  f.push_back(num_field("training.learning_rate", [](C& c) -> double& { return c.training.learning_rate; },
                        0, 1e6, true, "SGD step size"));
  f.push_back(int_field("training.seed", [](C& c) -> int64_t& { return c.training.seed; }, 0,
                        (int64_t{1} << 62), "seed of weight init and synthetic data"));
  f.push_back(enum_field<Loss>("training.loss", [](C& c) -> Loss& { return c.training.loss; },
                               {{"auto", Loss::kAuto}, {"softmax_xent", Loss::kSoftmaxXent},
                                {"sigmoid_xent", Loss::kSigmoidXent}},
                               "the loss: softmax cross-entropy (the array), or sigmoid outputs against one-hot "
                               "labels (the edge trainer: δ = a − y); auto = the accelerator's"));
  f.push_back(enum_field<Init>("training.init", [](C& c) -> Init& { return c.training.init; },
                               {{"auto", Init::kAuto}, {"model", Init::kModel}, {"glorot", Init::kGlorot}},
                               "the first weights: model = network.onnx's, glorot = Glorot-uniform from the seed (biases "
                               "0); auto = the model's when it has them"));
  f.push_back(enum_field<ScheduleKind>(
      "schedule.kind", [](C& c) -> ScheduleKind& { return c.schedule.kind; },
      {{"inference", ScheduleKind::kInference}, {"baseline", ScheduleKind::kBaseline},
       {"interleaved", ScheduleKind::kInterleaved}, {"speculative", ScheduleKind::kSpeculative},
       {"pipelined", ScheduleKind::kPipelined}},
      "what runs: inference, or a training schedule (docs/hardware.md, docs/speculation.md)"));
  f.push_back(enum_field<Dataflow>("schedule.forward_dataflow",
                                   [](C& c) -> Dataflow& { return c.schedule.forward_dataflow; },
                                   {{"ws", Dataflow::kWs}, {"os", Dataflow::kOs}, {"is", Dataflow::kIs},
                                    {"auto", Dataflow::kAuto}},
                                   "dataflow of the forward pass: weight, output or input stationary; auto picks, "
                                   "per layer, the fewest cycles by the closed forms (report: layers.N.dataflow)"));
  f.push_back(enum_field<SpecPolicy>(
      "schedule.speculation.policy", [](C& c) -> SpecPolicy& { return c.schedule.speculation.policy; },
      {{"gradient_reuse", SpecPolicy::kGradientReuse}, {"output_speculation", SpecPolicy::kOutputSpeculation}},
      "speculation policy"));
  f.push_back(num_field("schedule.speculation.threshold",
                        [](C& c) -> double& { return c.schedule.speculation.threshold; }, 0, 1e9, false,
                        "a sample hits when the cross-entropy between its label's stored output and its new output is below this"));
  f.push_back(enum_field<Engines>("schedule.speculation.engines",
                                  [](C& c) -> Engines& { return c.schedule.speculation.engines; },
                                  {{"split", Engines::kSplit}, {"dual", Engines::kDual}},
                                  "split: one array's columns shared between a forward and a backward engine; dual: "
                                  "two arrays with their own buffers and one DRAM channel"));
  f.push_back(enum_field<VerifyMode>("schedule.speculation.verify",
                                     [](C& c) -> VerifyMode& { return c.schedule.speculation.verify; },
                                     {{"sample", VerifyMode::kSample}, {"batch", VerifyMode::kBatch}},
                                     "output_speculation: recompute only the samples whose speculation missed (their "
                                     "rows packed), or the whole batch on any miss"));
  f.push_back(int_field("schedule.speculation.forward_cols",
                        [](C& c) -> int& { return c.schedule.speculation.forward_cols; }, 0, 255,
                        "split: array columns that run the forward pass (the rest run the backward pass); 0 = cols/2"));
  f.push_back(num_field("schedule.speculation.assumed_hit_rate",
                        [](C& c) -> double& { return c.schedule.speculation.assumed_hit_rate; }, 0, 1, false,
                        "timing-only runs (functional: false): the fraction of samples that hit, drawn per sample "
                        "from training.seed"));
  f.push_back(enum_field<Backend>("simulation.backend", [](C& c) -> Backend& { return c.simulation.backend; },
                                  {{"tlm", Backend::kTlm}, {"rtl", Backend::kRtl}, {"cosim", Backend::kCosim}},
                                  "array model: TLM (closed form), Verilated RTL, or both in lockstep"));
  f.push_back(bool_field("simulation.functional", [](C& c) -> bool& { return c.simulation.functional; },
                         "compute values (false: timing only)"));
  f.push_back(bool_field("simulation.tile_classes", [](C& c) -> bool& { return c.simulation.tile_classes; },
                         "the tlm backend: each pass's tiles in classes that cost the same, each computed once (a "
                         "pass seen before is looked up), and its values as one GEMM (false: every tile one by one "
                         "through the array model, the reference path; counts and values are the same)"));
  f.push_back(enum_field<ReportDetail>(
      "simulation.report_detail", [](C& c) -> ReportDetail& { return c.simulation.report_detail; },
      {{"full", ReportDetail::kFull}, {"layers", ReportDetail::kLayers}, {"totals", ReportDetail::kTotals}},
      "what the reports hold: full = report.json and report.csv with every layer and every op (ops.N), beside "
      "layers.csv and the SCALE-Sim files; layers = the same without the ops; totals = the totals only, and no "
      "per-layer files (a 96-layer GPT-3 step's full reports are 144 MB)"));
  f.push_back(int_field("simulation.max_steps", [](C& c) -> int64_t& { return c.simulation.max_steps; }, 0,
                        (int64_t{1} << 40), "stop after this many steps; 0 = no limit"));
  f.push_back(str_field("simulation.vcd", [](C& c) -> std::string& { return c.simulation.vcd; }, true,
                        "VCD file to write, or null"));
  f.push_back({"simulation.vcd_window", "[first, last] cycle, 0 <= first <= last, or null",
               "cycles dumped to the VCD; null = 2,001 cycles from the cycle the array can first work (its first "
               "input and weights in from DRAM)",
               [](Config& c, const Node& n) -> std::optional<std::string> {
                 if (n.kind == Node::Kind::kNull || (n.kind == Node::Kind::kScalar && (n.scalar == "null" || n.scalar == "~"))) {
                   c.simulation.vcd_window = {0, 2000};
                   c.simulation.vcd_window_auto = true;
                   return std::nullopt;
                 }
                 if (n.kind == Node::Kind::kSeq && n.items.size() == 2) {
                   auto a = parse_int(n.items[0]), b = parse_int(n.items[1]);
                   if (a && b && *a >= 0 && *b >= *a) {
                     c.simulation.vcd_window = {*a, *b};
                     c.simulation.vcd_window_auto = false;
                     return std::nullopt;
                   }
                 }
                 return fmt::format("expected [first, last] with 0 <= first <= last, or null, found {}",
                                    n.kind == Node::Kind::kSeq && n.items.size() == 2
                                        ? fmt::format("[{}, {}]", n.items[0].scalar, n.items[1].scalar)
                                        : found(n));
               },
               [](const Config& c) {
                 return c.simulation.vcd_window_auto
                            ? std::string("null")
                            : fmt::format("[{}, {}]", c.simulation.vcd_window[0], c.simulation.vcd_window[1]);
               }});
  f.push_back(str_field("simulation.dump_tensors", [](C& c) -> std::string& { return c.simulation.dump_tensors; },
                        true, "folder for .npy tensor dumps, or null"));
  return f;
}


}  // namespace

const std::vector<FieldSpec>& config_fields() {
  static const std::vector<FieldSpec> fields = make_fields();
  return fields;
}

}  // namespace systrain
