#include "onnx_loader.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "file_read.h"

namespace systrain {

namespace {

constexpr int64_t kMaxModelBytes = int64_t{1} << 30;  // protobuf's own limit is 2 GiB
constexpr int64_t kMaxElements = int64_t{1} << 28;

std::string read_file(const std::string& path, const char* what) {
  std::string bytes;
  if (const std::string why = read_regular_file(path, what, kMaxModelBytes, bytes); !why.empty())
    throw OnnxError(fmt::format("{}: {}", path, why));
  return bytes;
}

const char* type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return "float32";
    case onnx::TensorProto::UINT8: return "uint8";
    case onnx::TensorProto::INT8: return "int8";
    case onnx::TensorProto::INT32: return "int32";
    case onnx::TensorProto::INT64: return "int64";
    case onnx::TensorProto::DOUBLE: return "float64";
    case onnx::TensorProto::FLOAT16: return "float16";
    case onnx::TensorProto::BOOL: return "bool";
    case onnx::TensorProto::STRING: return "string";
    default: return "another type";
  }
}

int64_t element_count(const onnx::TensorProto& t, const std::string& where) {
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && n > kMaxElements / d))
      throw OnnxError(fmt::format("{}: tensor '{}' has dimensions that are negative or hold more than 2^28 elements",
                                  where, t.name()));
    n *= d;
  }
  return n;
}

template <class T>
std::vector<T> raw_values(const onnx::TensorProto& t, int64_t n, const std::string& where) {
  const std::string& raw = t.raw_data();
  if (raw.size() != static_cast<size_t>(n) * sizeof(T))
    throw OnnxError(fmt::format("{}: tensor '{}' holds {} bytes of data; its dimensions need {}", where, t.name(),
                                raw.size(), static_cast<size_t>(n) * sizeof(T)));
  std::vector<T> v(static_cast<size_t>(n));
  if (n > 0) std::memcpy(v.data(), raw.data(), raw.size());  // ONNX's raw data is little-endian, as this machine
  return v;
}

void check_stored_here(const onnx::TensorProto& t, const std::string& where) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw OnnxError(fmt::format("{}: tensor '{}' keeps its data in an external file, which systrain does not read "
                                "(save the model with its weights inside)", where, t.name()));
}

OnnxTensor float_tensor(const onnx::TensorProto& t, const std::string& where) {
  check_stored_here(t, where);
  const int64_t n = element_count(t, where);
  OnnxTensor out;
  out.name = t.name();
  out.dims.assign(t.dims().begin(), t.dims().end());
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    if (t.has_raw_data()) {
      out.data = raw_values<float>(t, n, where);
    } else {
      if (t.float_data_size() != n)
        throw OnnxError(fmt::format("{}: tensor '{}' holds {} values; its dimensions need {}", where, t.name(),
                                    t.float_data_size(), n));
      out.data.assign(t.float_data().begin(), t.float_data().end());
    }
  } else if (t.data_type() == onnx::TensorProto::DOUBLE) {
    std::vector<double> d;
    if (t.has_raw_data()) d = raw_values<double>(t, n, where);
    else if (t.double_data_size() == n) d.assign(t.double_data().begin(), t.double_data().end());
    else throw OnnxError(fmt::format("{}: tensor '{}' holds {} values; its dimensions need {}", where, t.name(),
                                     t.double_data_size(), n));
    for (double x : d) out.data.push_back(static_cast<float>(x));
  } else {
    throw OnnxError(fmt::format("{}: tensor '{}' is {}; systrain reads float32 weights and data", where, t.name(),
                                type_name(t.data_type())));
  }
  return out;
}

std::vector<int64_t> int_tensor(const onnx::TensorProto& t, const std::string& where) {
  check_stored_here(t, where);
  const int64_t n = element_count(t, where);
  if (t.data_type() == onnx::TensorProto::INT64) {
    if (t.has_raw_data()) return raw_values<int64_t>(t, n, where);
    if (t.int64_data_size() != n)
      throw OnnxError(fmt::format("{}: tensor '{}' holds {} values; its dimensions need {}", where, t.name(),
                                  t.int64_data_size(), n));
    return {t.int64_data().begin(), t.int64_data().end()};
  }
  if (t.data_type() == onnx::TensorProto::INT32) {
    std::vector<int32_t> v;
    if (t.has_raw_data()) v = raw_values<int32_t>(t, n, where);
    else v.assign(t.int32_data().begin(), t.int32_data().end());
    if (static_cast<int64_t>(v.size()) != n)
      throw OnnxError(fmt::format("{}: tensor '{}' holds {} values; its dimensions need {}", where, t.name(), v.size(), n));
    return {v.begin(), v.end()};
  }
  throw OnnxError(fmt::format("{}: tensor '{}' is {}; a shape is int64", where, t.name(), type_name(t.data_type())));
}

struct Image {  // the activation between nodes: [F] (image false) or [C, H, W]
  bool image = false;
  int64_t c = 0, h = 1, w = 1;
  int64_t elements() const { return c * h * w; }
  std::string str() const { return image ? fmt::format("[N, {}, {}, {}]", c, h, w) : fmt::format("[N, {}]", c); }
};

std::string dims_str(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

class Importer {
 public:
  Importer(std::string path, const onnx::GraphProto& g, const OnnxOptions& o) : path_(std::move(path)), g_(g), wrap_(o.wrap) {
    for (const auto& t : g.initializer()) consts_[t.name()] = &t;
    for (const auto& b : o.bound) bound_[b.name] = b;
  }

  OnnxModel run() {
    // an op systrain does not import is named first, whatever else the graph holds
    static const std::set<std::string> known = {"Gemm", "MatMul", "Add", "Conv", "MaxPool", "Relu", "Flatten",
                                                "Reshape", "Identity", "Dropout", "Softmax", "LogSoftmax",
                                                "Constant", "Transpose"};
    for (idx_ = 0; idx_ < g_.node_size(); ++idx_)
      if (!known.count(g_.node(idx_).op_type()))
        unsupported(g_.node(idx_), fmt::format("op {} is not supported", g_.node(idx_).op_type()));
    idx_ = 0;
    find_input();
    count_consumers();
    if (wrap_) {
      std::string first;  // the op that reads the data input
      for (const auto& n : g_.node())
        if (n.input_size() > 0 && n.input(0) == cur_) {
          first = n.op_type();
          break;
        }
      if (first != "Gemm" && first != "MatMul" && first != "Conv") identity_layer(), m_.wrapped_in = true;
    }
    const int n_nodes = g_.node_size();
    for (idx_ = 0; idx_ < n_nodes; ++idx_) node(g_.node(idx_));
    if (g_.output_size() != 1)
      throw OnnxError(fmt::format("{}: the graph has {} outputs; systrain imports a chain with one", path_,
                                  g_.output_size()));
    if (g_.output(0).name() != cur_)
      throw OnnxError(fmt::format("{}: the graph's output '{}' is not the end of the chain from '{}' (which ends at "
                                  "'{}'): the graph is not a chain. systrain imports chains of {}",
                                  path_, g_.output(0).name(), m_.input_name, cur_, onnx_supported_ops()));
    if (wrap_ && (m_.layers.empty() || m_.layers.back().type != LayerType::kDense ||
                  m_.layers.back().activation != Activation::kNone)) {  // the last layer feeds the loss: no ReLU
      flatten();
      identity_layer();
      m_.wrapped_out = true;
    }
    bool gemm = false;
    for (const auto& l : m_.layers) gemm |= l.type == LayerType::kDense || l.type == LayerType::kConv2d;
    if (!gemm)
      throw OnnxError(fmt::format("{}: the graph has no Gemm, MatMul or Conv: nothing of it runs on the array", path_));
    m_.output_name = g_.output(0).name();
    return m_;
  }

 private:
  // --- messages
  std::string where(const onnx::NodeProto& n) const {
    std::string ins;
    for (int i = 0; i < n.input_size(); ++i) ins += (i ? ", " : "") + (n.input(i).empty() ? "(none)" : n.input(i));
    return fmt::format("{}: node {} '{}' ({}, inputs: {})", path_, idx_, n.name(), n.op_type(), ins);
  }
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& why) const {
    throw OnnxError(fmt::format("{}: {}", where(n), why));
  }
  [[noreturn]] void unsupported(const onnx::NodeProto& n, const std::string& why) const {
    throw OnnxError(fmt::format("{}: {}. systrain imports chains of {}", where(n), why, onnx_supported_ops()));
  }

  // --- the graph
  void find_input() {
    std::vector<const onnx::ValueInfoProto*> data;
    for (const auto& in : g_.input())
      if (!consts_.count(in.name()) && !bound_.count(in.name())) data.push_back(&in);
    if (data.size() != 1) {
      std::string names;
      for (const auto* d : data) names += (names.empty() ? "" : ", ") + d->name();
      throw OnnxError(fmt::format("{}: the graph has {} inputs that are not initializers ({}); systrain imports a "
                                  "chain from one data input, with its weights as initializers",
                                  path_, data.size(), names.empty() ? "none" : names));
    }
    const onnx::ValueInfoProto& in = *data[0];
    m_.input_name = cur_ = in.name();
    if (!in.type().has_tensor_type())
      throw OnnxError(fmt::format("{}: the input '{}' is not a tensor", path_, in.name()));
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT)
      throw OnnxError(fmt::format("{}: the input '{}' is {}; systrain takes float32 data", path_, in.name(),
                                  type_name(tt.elem_type())));
    if (!tt.has_shape()) throw OnnxError(fmt::format("{}: the input '{}' has no shape (a dynamic shape)", path_, in.name()));
    const auto& dims = tt.shape().dim();
    if (dims.size() != 2 && dims.size() != 4)
      throw OnnxError(fmt::format("{}: the input '{}' has rank {}; systrain takes [N, F] vectors or [N, C, H, W] "
                                  "images",
                                  path_, in.name(), dims.size()));
    std::vector<int64_t> d;
    for (int i = 0; i < dims.size(); ++i) {
      const auto& x = dims[i];
      if (i == 0) {  // the batch: any, fixed or symbolic
        m_.batch = x.has_dim_value() ? x.dim_value() : 0;
        continue;
      }
      if (!x.has_dim_value() || x.dim_value() < 1 || x.dim_value() > (1 << 24))
        throw OnnxError(fmt::format("{}: the input '{}' has a dynamic dimension {} ('{}'): systrain needs the sizes of "
                                    "every dimension but the batch. systrain imports chains of {}",
                                    path_, in.name(), i, x.has_dim_param() ? x.dim_param() : "?", onnx_supported_ops()));
      d.push_back(x.dim_value());
    }
    int64_t elements = 1;
    for (int64_t x : d) elements = std::min(elements * x, kMaxElements + 1);
    if (elements > kMaxElements)
      throw OnnxError(fmt::format("{}: the input '{}' has more than 2^28 elements a sample", path_, in.name()));
    for (int64_t x : d) m_.input_shape.push_back(static_cast<int>(x));
    x_.image = d.size() == 3;
    x_.c = d[0], x_.h = x_.image ? d[1] : 1, x_.w = x_.image ? d[2] : 1;
  }

  void count_consumers() {
    for (const auto& n : g_.node())
      for (const auto& i : n.input())
        if (!i.empty()) ++uses_[i];
  }

  bool is_const(const std::string& name) const { return consts_.count(name) || bound_.count(name) || made_.count(name); }
  OnnxTensor constant(const onnx::NodeProto& n, const std::string& name) {
    if (auto b = bound_.find(name); b != bound_.end()) {
      if (b->second.is_int) fail(n, fmt::format("its input '{}' is an integer tensor where float32 weights are expected", name));
      return b->second;
    }
    if (auto m = made_.find(name); m != made_.end()) return float_tensor(*m->second, where(n));
    if (auto c = consts_.find(name); c != consts_.end()) return float_tensor(*c->second, where(n));
    unsupported(n, fmt::format("its input '{}' is computed by the graph, not a constant (a branch)", name));
  }
  std::vector<int64_t> int_constant(const onnx::NodeProto& n, const std::string& name) {
    if (auto m = made_.find(name); m != made_.end()) return int_tensor(*m->second, where(n));
    if (auto c = consts_.find(name); c != consts_.end()) return int_tensor(*c->second, where(n));
    if (auto b = bound_.find(name); b != bound_.end()) {
      if (!b->second.is_int) fail(n, fmt::format("its input '{}' is float32 where an int64 shape is expected", name));
      return b->second.ints;
    }
    unsupported(n, fmt::format("its input '{}' is computed by the graph, not a constant", name));
  }

  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t dflt) const {
    const auto* a = attr(n, name);
    return a ? a->i() : dflt;
  }
  float attr_float(const onnx::NodeProto& n, const char* name, float dflt) const {
    const auto* a = attr(n, name);
    return a ? a->f() : dflt;
  }
  std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name) const {
    const auto* a = attr(n, name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
  }
  std::string attr_str(const onnx::NodeProto& n, const char* name, const char* dflt) const {
    const auto* a = attr(n, name);
    return a ? a->s() : dflt;
  }
  // only the attributes named may be present (an unknown one changes what the op does)
  void only_attrs(const onnx::NodeProto& n, std::initializer_list<const char*> known) const {
    for (const auto& a : n.attribute()) {
      bool ok = false;
      for (const char* k : known) ok |= a.name() == k;
      if (!ok) fail(n, fmt::format("attribute '{}' is not supported", a.name()));
    }
  }

  // the node reads the chain's tensor as its input `i`; its output 0 is the chain's next
  void chain(const onnx::NodeProto& n, int i = 0) {
    if (n.input_size() <= i || n.input(i) != cur_) {
      unsupported(n, fmt::format("it does not read '{}', the output of the node before: the graph is not a chain", cur_));
    }
    if (uses_[cur_] > 1)
      unsupported(n, fmt::format("'{}' is read by {} nodes: a branch (a residual connection)", cur_, uses_[cur_]));
    if (n.output_size() < 1 || n.output(0).empty()) fail(n, "it has no output");
    for (int o = 1; o < n.output_size(); ++o)
      if (!n.output(o).empty() && uses_[n.output(o)] > 0)
        unsupported(n, fmt::format("its output '{}' is used: only the first output of a node may be", n.output(o)));
    cur_ = n.output(0);
  }

  int last_gemm() const {
    for (int i = static_cast<int>(m_.layers.size()) - 1; i >= 0; --i)
      if (m_.layers[i].type == LayerType::kDense || m_.layers[i].type == LayerType::kConv2d) return i;
    return -1;
  }

  void add_layer(const LayerConfig& l, LayerWeights w = {}) {
    m_.layers.push_back(l);
    m_.weights.push_back(std::move(w));
    bias_open_ = false;
  }

  void node(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      unsupported(n, fmt::format("domain '{}' is not ONNX's own", n.domain()));
    if (done_) unsupported(n, "it comes after the final Softmax");
    if (op == "Constant") {
      only_attrs(n, {"value", "value_ints", "value_float", "value_floats", "value_int"});
      if (n.output_size() != 1) fail(n, "a Constant has one output");
      auto t = std::make_unique<onnx::TensorProto>();
      if (const auto* a = attr(n, "value")) *t = a->t();
      else if (const auto* a = attr(n, "value_ints")) {
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(a->ints_size());
        for (auto v : a->ints()) t->add_int64_data(v);
      } else if (const auto* a = attr(n, "value_int")) {
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_int64_data(a->i());
      } else if (const auto* a = attr(n, "value_floats")) {
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_dims(a->floats_size());
        for (auto v : a->floats()) t->add_float_data(v);
      } else if (const auto* a = attr(n, "value_float")) {
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_float_data(a->f());
      } else {
        fail(n, "a Constant without a value");
      }
      t->set_name(n.output(0));
      made_[n.output(0)] = t.get();
      owned_.push_back(std::move(t));
      return;
    }
    if (op == "Identity" && n.input_size() == 1 && n.output_size() == 1 && is_const(n.input(0))) {
      // an alias of a constant (PyTorch's exporter shares weights this way)
      const std::string& in = n.input(0);
      if (auto c = consts_.find(in); c != consts_.end()) made_[n.output(0)] = c->second;
      else if (auto m = made_.find(in); m != made_.end()) made_[n.output(0)] = m->second;
      else bound_[n.output(0)] = bound_.at(in);
      return;
    }
    if (op == "Transpose" && n.input_size() == 1 && n.output_size() == 1 && is_const(n.input(0))) {
      // a transposed weight matrix (PyTorch's older exporter writes Linear as Transpose + MatMul): folded
      only_attrs(n, {"perm"});
      const OnnxTensor t = constant(n, n.input(0));
      const auto perm = attr_ints(n, "perm");
      if (t.dims.size() != 2 || (!perm.empty() && perm != std::vector<int64_t>{1, 0}))
        unsupported(n, fmt::format("a Transpose of the constant '{}' of shape {} with perm {}: systrain folds the "
                                   "transpose of a 2-D constant",
                                   t.name, dims_str(t.dims), dims_str(perm)));
      auto p = std::make_unique<onnx::TensorProto>();
      p->set_name(n.output(0));
      p->set_data_type(onnx::TensorProto::FLOAT);
      p->add_dims(t.dims[1]);
      p->add_dims(t.dims[0]);
      for (int64_t j = 0; j < t.dims[1]; ++j)
        for (int64_t i = 0; i < t.dims[0]; ++i) p->add_float_data(t.data[i * t.dims[1] + j]);
      made_[n.output(0)] = p.get();
      owned_.push_back(std::move(p));
      return;
    }
    const bool open = bias_open_;
    bias_open_ = false;
    if (op == "Gemm" || op == "MatMul") return gemm(n, op == "Gemm");
    if (op == "Add") return add(n, open);
    if (op == "Conv") return conv(n);
    if (op == "MaxPool") return maxpool(n);
    if (op == "Relu") {
      chain(n);
      const int g = last_gemm();
      if (g < 0)
        unsupported(n, "a Relu before any Gemm, MatMul or Conv (systrain applies ReLU as a layer's outputs leave the "
                       "array)");
      m_.layers[g].activation = Activation::kRelu;  // through maxpool and flatten, which commute with it
      return;
    }
    if (op == "Flatten") {
      only_attrs(n, {"axis"});
      const int64_t axis = attr_int(n, "axis", 1);
      const int rank = x_.image ? 4 : 2;
      if (axis != 1 && axis != 1 - rank)
        unsupported(n, fmt::format("Flatten with axis {}: systrain flattens each sample (axis 1)", axis));
      chain(n);
      return flatten();
    }
    if (op == "Reshape") {
      only_attrs(n, {"allowzero"});
      if (n.input_size() != 2) fail(n, "a Reshape takes the data and a shape");
      const std::vector<int64_t> s = int_constant(n, n.input(1));
      const int64_t all = x_.elements();
      const bool first_ok = s.size() == 2 && (s[0] == 0 || s[0] == -1 || (m_.batch > 0 && s[0] == m_.batch));
      const bool second_ok = s.size() == 2 && (s[1] == all || (s[1] == -1 && s[0] != -1));
      if (!first_ok || !second_ok)
        unsupported(n, fmt::format("Reshape of {} to {}: systrain imports a Reshape that flattens each sample "
                                   "(to [N, {}])",
                                   x_.str(), dims_str(s), all));
      chain(n);
      return flatten();
    }
    if (op == "Identity") {
      chain(n);
      return;
    }
    if (op == "Dropout") {  // training-mode dropout is not modelled: inference semantics, a no-op
      chain(n);
      return;
    }
    if (op == "Softmax" || op == "LogSoftmax") {
      const int64_t axis = attr_int(n, "axis", -1);
      only_attrs(n, {"axis"});
      if (x_.image || (axis != 1 && axis != -1))
        unsupported(n, fmt::format("{} over axis {} of {}: systrain absorbs a final softmax over the classes of "
                                   "[N, classes] into the loss",
                                   op, axis, x_.str()));
      chain(n);
      m_.final_softmax = op;
      done_ = true;
      return;
    }
    unsupported(n, op == "Transpose" ? "a Transpose of data: systrain folds only the transpose of a constant"
                                     : fmt::format("op {} is not supported", op));
  }

  // a layer that passes its input on: a 1x1 conv of C filters or a dense layer of F units, weights I
  void identity_layer() {
    LayerConfig l;
    l.type = x_.image ? LayerType::kConv2d : LayerType::kDense;
    const int64_t n = x_.c;
    if (n > 4096)
      throw OnnxError(fmt::format("{}: the tensor {} is too wide for the identity layer onnx-test puts beside the "
                                  "graph (at most 4,096 channels or features)",
                                  path_, x_.str()));
    (x_.image ? l.filters : l.units) = static_cast<int>(n);
    l.kernel = 1;
    LayerWeights w;
    w.w.assign(static_cast<size_t>(n * n), 0.0f);
    for (int64_t i = 0; i < n; ++i) w.w[i * n + i] = 1.0f;
    add_layer(l, std::move(w));
  }

  void flatten() {
    if (!x_.image) return;  // [N, F] is flat already
    LayerConfig l;
    l.type = LayerType::kFlatten;
    add_layer(l);
    x_ = {false, x_.elements(), 1, 1};
  }

  void gemm(const onnx::NodeProto& n, bool is_gemm) {
    if (is_gemm) only_attrs(n, {"alpha", "beta", "transA", "transB", "broadcast"});  // (broadcast: opset < 7's C)
    else only_attrs(n, {});
    if (n.input_size() < 2) fail(n, "it takes at least two inputs");
    if (is_gemm && attr_int(n, "transA", 0) != 0)
      unsupported(n, "transA = 1: systrain's dense layer multiplies the samples [N, K] by the weights");
    chain(n);
    if (x_.image)
      unsupported(n, fmt::format("{} of the image {}: flatten it first", n.op_type(), x_.str()));
    const int64_t K = x_.c;
    const OnnxTensor B = constant(n, n.input(1));
    const bool trans = is_gemm && attr_int(n, "transB", 0) != 0;
    if (B.dims.size() != 2 || B.dims[trans ? 1 : 0] != K)
      unsupported(n, fmt::format("weights '{}' of shape {} do not multiply {}{}", B.name, dims_str(B.dims), x_.str(),
                                 trans ? " (transB = 1)" : ""));
    const int64_t N = B.dims[trans ? 0 : 1];
    if (N < 1 || N > (1 << 24)) fail(n, fmt::format("{} units: expected 1 to 2^24", N));
    const float alpha = is_gemm ? attr_float(n, "alpha", 1.0f) : 1.0f;
    LayerWeights w;
    w.w.resize(static_cast<size_t>(K * N));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) w.w[k * N + j] = alpha * B.data[trans ? j * K + k : k * N + j];
    LayerConfig l;
    l.type = LayerType::kDense;
    l.units = static_cast<int>(N);
    if (is_gemm && n.input_size() > 2 && !n.input(2).empty()) {
      const OnnxTensor C = constant(n, n.input(2));
      const float beta = attr_float(n, "beta", 1.0f);
      int64_t count = 1;
      for (int64_t d : C.dims) count *= d;
      const bool per_unit = count == N && (C.dims.size() == 1 || (C.dims.size() == 2 && C.dims[0] == 1));
      if (!per_unit && count != 1)
        unsupported(n, fmt::format("bias '{}' of shape {}: systrain's bias is one value per unit ([{}]) or one for all",
                                   C.name, dims_str(C.dims), N));
      for (int64_t j = 0; j < N; ++j) w.b.push_back(beta * C.data[per_unit ? j : 0]);
      l.bias = true;
    }
    add_layer(l, std::move(w));
    bias_open_ = !is_gemm;  // MatMul: an Add may give its bias
    x_ = {false, N, 1, 1};
  }

  void add(const onnx::NodeProto& n, bool open) {
    only_attrs(n, {});
    if (n.input_size() != 2) fail(n, "an Add takes two inputs");
    const int data = n.input(0) == cur_ ? 0 : 1;
    const std::string& other = n.input(1 - data);
    const int g = static_cast<int>(m_.layers.size()) - 1;
    const bool after_layer = g >= 0 && (m_.layers[g].type == LayerType::kDense || m_.layers[g].type == LayerType::kConv2d) &&
                             !m_.layers[g].bias && m_.layers[g].activation == Activation::kNone;
    if (!is_const(other) || !after_layer || (!open && m_.layers[g].type == LayerType::kDense)) {
      if (!is_const(other)) unsupported(n, fmt::format("an Add of '{}', which the graph computes: a branch (a residual connection)", other));
      unsupported(n, "an Add is imported only as the bias of the MatMul or Conv right before it");
    }
    chain(n, data);
    const OnnxTensor b = constant(n, other);
    const bool conv = m_.layers[g].type == LayerType::kConv2d;
    const int64_t N = conv ? m_.layers[g].filters : m_.layers[g].units;
    int64_t count = 1;
    for (int64_t d : b.dims) count *= d;
    // [N] or [1, N] (dense); [F], [F, 1, 1] or [1, F, 1, 1] (conv)
    bool ok = count == N;
    for (size_t i = 0; ok && i < b.dims.size(); ++i)
      ok = b.dims[i] == 1 || (b.dims[i] == N && (conv ? b.dims.size() - i == 3 || b.dims.size() == 1 : i + 1 == b.dims.size()));
    if (!ok)
      unsupported(n, fmt::format("an Add of '{}' of shape {} is not a bias of {} values", other, dims_str(b.dims), N));
    m_.weights[g].b = b.data;
    m_.layers[g].bias = true;
  }

  void conv(const onnx::NodeProto& n) {
    only_attrs(n, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    if (n.input_size() < 2) fail(n, "a Conv takes the data and the weights");
    if (attr_int(n, "group", 1) != 1)
      unsupported(n, fmt::format("group = {}: systrain imports convolutions of group 1 (no grouped or depthwise ones)",
                                 attr_int(n, "group", 1)));
    for (int64_t d : attr_ints(n, "dilations"))
      if (d != 1) unsupported(n, fmt::format("dilations {}: systrain imports dilation 1", dims_str(attr_ints(n, "dilations"))));
    chain(n);
    if (!x_.image) unsupported(n, fmt::format("a Conv of {}: it needs an [N, C, H, W] image", x_.str()));
    const OnnxTensor W = constant(n, n.input(1));
    if (W.dims.size() != 4)
      unsupported(n, fmt::format("weights '{}' of shape {}: systrain imports 2-D convolutions ([F, C, kh, kw])", W.name,
                                 dims_str(W.dims)));
    const int64_t F = W.dims[0], C = W.dims[1], kh = W.dims[2], kw = W.dims[3];
    if (C != x_.c) fail(n, fmt::format("weights '{}' of shape {} take {} channels; the input {} has {}", W.name,
                                       dims_str(W.dims), C, x_.str(), x_.c));
    if (F < 1 || F > (1 << 20) || kh < 1 || kh > 1024 || kw < 1 || kw > 1024)
      fail(n, fmt::format("weights '{}' of shape {}: filters 1 to 2^20, a kernel of 1 to 1024", W.name, dims_str(W.dims)));
    const auto ks = attr_ints(n, "kernel_shape");
    if (!ks.empty() && (ks.size() != 2 || ks[0] != kh || ks[1] != kw))
      fail(n, fmt::format("kernel_shape {} differs from the weights' {}", dims_str(ks), dims_str(W.dims)));
    std::vector<int64_t> st = attr_ints(n, "strides");
    if (st.empty()) st = {1, 1};
    if (st.size() != 2 || st[0] < 1 || st[1] < 1 || st[0] > 1024 || st[1] > 1024)
      fail(n, fmt::format("strides {}: two strides of 1 to 1024", dims_str(st)));
    std::vector<int64_t> pads = attr_ints(n, "pads");
    const std::string auto_pad = attr_str(n, "auto_pad", "NOTSET");
    if (auto_pad == "VALID") {
      pads = {0, 0, 0, 0};
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      pads.assign(4, 0);
      const int64_t in[2] = {x_.h, x_.w}, k[2] = {kh, kw};
      for (int d = 0; d < 2; ++d) {
        const int64_t out = (in[d] + st[d] - 1) / st[d];
        const int64_t total = std::max<int64_t>(0, (out - 1) * st[d] + k[d] - in[d]);
        const int64_t lo = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[d] = lo, pads[d + 2] = total - lo;
      }
    } else if (auto_pad != "NOTSET") {
      fail(n, fmt::format("auto_pad '{}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", auto_pad));
    }
    if (pads.empty()) pads = {0, 0, 0, 0};
    if (pads.size() != 4) fail(n, fmt::format("pads {}: four pads (top, left, bottom, right)", dims_str(pads)));
    for (int64_t p : pads)
      if (p < 0 || p > 1024) fail(n, fmt::format("pads {}: each 0 to 1024", dims_str(pads)));
    LayerConfig l;
    l.type = LayerType::kConv2d;
    l.filters = static_cast<int>(F);
    l.kernel = static_cast<int>(kh), l.kernel_w = static_cast<int>(kw);
    l.stride = static_cast<int>(st[0]), l.stride_w = static_cast<int>(st[1]);
    l.padding = static_cast<int>(pads[0]), l.padding_left = static_cast<int>(pads[1]);
    l.padding_bottom = static_cast<int>(pads[2]), l.padding_right = static_cast<int>(pads[3]);
    const int64_t oh = (x_.h + pads[0] + pads[2] - kh), ow = (x_.w + pads[1] + pads[3] - kw);
    if (oh < 0 || ow < 0)
      fail(n, fmt::format("a {}x{} kernel does not fit the input {} with pads {}", kh, kw, x_.str(), dims_str(pads)));
    LayerWeights w;
    w.w.resize(static_cast<size_t>(C * kh * kw * F));
    for (int64_t f = 0; f < F; ++f)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j)
            w.w[((c * kh + i) * kw + j) * F + f] = W.data[((f * C + c) * kh + i) * kw + j];
    if (n.input_size() > 2 && !n.input(2).empty()) {
      const OnnxTensor B = constant(n, n.input(2));
      if (B.dims.size() != 1 || B.dims[0] != F)
        fail(n, fmt::format("bias '{}' of shape {}: one value per filter ([{}])", B.name, dims_str(B.dims), F));
      w.b = B.data;
      l.bias = true;
    }
    add_layer(l, std::move(w));
    x_ = {true, F, oh / st[0] + 1, ow / st[1] + 1};
  }

  void maxpool(const onnx::NodeProto& n) {
    only_attrs(n, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
    chain(n);
    if (!x_.image) unsupported(n, fmt::format("a MaxPool of {}: it needs an [N, C, H, W] image", x_.str()));
    const auto k = attr_ints(n, "kernel_shape");
    std::vector<int64_t> st = attr_ints(n, "strides");
    if (st.empty()) st.assign(k.size(), 1);
    std::vector<int64_t> pads = attr_ints(n, "pads");
    if (pads.empty()) pads.assign(2 * k.size(), 0);
    const auto dil = attr_ints(n, "dilations");
    const std::string auto_pad = attr_str(n, "auto_pad", "NOTSET");
    bool undilated = true;
    for (int64_t d : dil) undilated &= d == 1;
    const bool square = k.size() == 2 && k[0] == k[1] && k[0] >= 1 && k[0] <= 1024 && st.size() == 2 &&
                        st[0] == st[1] && st[0] >= 1 && st[0] <= 1024;
    if (square && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")) {
      pads.assign(4, 0);
      const int64_t in[2] = {x_.h, x_.w};
      for (int d = 0; d < 2; ++d) {
        const int64_t out = (in[d] + st[d] - 1) / st[d];
        const int64_t total = std::max<int64_t>(0, (out - 1) * st[d] + k[d] - in[d]);
        const int64_t lo = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        pads[d] = lo, pads[d + 2] = total - lo;
      }
    } else if (auto_pad == "VALID") {
      pads.assign(4, 0);
    }
    const bool even = pads.size() == 4 && pads[0] == pads[1] && pads[0] == pads[2] && pads[0] == pads[3] &&
                      pads[0] >= 0 && square && pads[0] < k[0];
    if (!square || !even || !undilated || attr_int(n, "ceil_mode", 0) != 0 || attr_int(n, "storage_order", 0) != 0)
      unsupported(n, fmt::format("MaxPool with kernel {}, strides {}, pads {}, auto_pad {}, ceil_mode {}, dilations {}: "
                                 "systrain's maxpool has a square window, one stride, the same padding on every side "
                                 "(less than the window), floor and no dilation",
                                 dims_str(k), dims_str(st), dims_str(pads), auto_pad, attr_int(n, "ceil_mode", 0),
                                 dims_str(dil)));
    const int64_t sz = k[0], p = pads[0], s = st[0];
    if (sz > x_.h + 2 * p || sz > x_.w + 2 * p)
      fail(n, fmt::format("a {0}x{0} window does not fit the input {1} with padding {2}", sz, x_.str(), p));
    LayerConfig l;
    l.type = LayerType::kMaxpool;
    l.size = static_cast<int>(sz);
    l.pool_stride = static_cast<int>(s);
    l.pool_padding = static_cast<int>(p);
    add_layer(l);
    x_.h = (x_.h + 2 * p - sz) / s + 1, x_.w = (x_.w + 2 * p - sz) / s + 1;
  }

  std::string path_;
  const onnx::GraphProto& g_;
  std::map<std::string, const onnx::TensorProto*> consts_, made_;
  std::vector<std::unique_ptr<onnx::TensorProto>> owned_;
  std::map<std::string, OnnxTensor> bound_;
  std::map<std::string, int> uses_;
  OnnxModel m_;
  std::string cur_;
  Image x_;
  int idx_ = 0;
  bool wrap_ = false, bias_open_ = false, done_ = false;
};

}  // namespace

const char* onnx_supported_ops() {
  return "Gemm, MatMul (with an Add as its bias), Conv, MaxPool, Relu, Flatten, Reshape (flattening), Identity, "
         "Dropout and a final Softmax or LogSoftmax";
}

namespace {
onnx::ModelProto parse_bytes(const std::string& bytes, const std::string& path) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw OnnxError(fmt::format("{}: not an ONNX model (the protobuf does not parse)", path));
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw OnnxError(fmt::format("{}: the model has no graph (no nodes)", path));
  return model;
}
onnx::ModelProto parse_model(const std::string& path) {
  return parse_bytes(read_file(path, "an ONNX model"), path);
}
}  // namespace

OnnxModel load_onnx(const std::string& path, const OnnxOptions& options) {
  const onnx::ModelProto model = parse_model(path);
  return Importer(path, model.graph(), options).run();
}

OnnxModel load_onnx_bytes(const std::string& bytes, const std::string& path, const OnnxOptions& options) {
  const onnx::ModelProto model = parse_bytes(bytes, path);
  return Importer(path, model.graph(), options).run();
}

std::vector<std::string> onnx_graph_inputs(const std::string& path) {
  const onnx::ModelProto model = parse_model(path);
  std::set<std::string> init;
  for (const auto& t : model.graph().initializer()) init.insert(t.name());
  std::vector<std::string> out;
  for (const auto& in : model.graph().input())
    if (!init.count(in.name())) out.push_back(in.name());
  return out;
}

OnnxTensor read_onnx_tensor(const std::string& path) {
  const std::string bytes = read_file(path, "a tensor file");
  onnx::TensorProto t;
  if (!t.ParseFromString(bytes)) throw OnnxError(fmt::format("{}: not an ONNX TensorProto", path));
  if (t.data_type() == onnx::TensorProto::INT64 || t.data_type() == onnx::TensorProto::INT32) {
    OnnxTensor out;
    out.name = t.name();
    out.dims.assign(t.dims().begin(), t.dims().end());
    out.ints = int_tensor(t, path);
    out.is_int = true;
    return out;
  }
  return float_tensor(t, path);
}

}  // namespace systrain
