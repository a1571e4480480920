// Decoding a config document against the key table, with located errors,
// did-you-mean hints, `--set` overrides and the cross-key checks.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "config_detail.h"
#include "config_schema.h"
#include "edge_shape.h"
#include "workload.h"

namespace systrain {
namespace {

using namespace config_detail;

const std::map<std::string, std::vector<std::string>>& layer_keys() {
  static const std::map<std::string, std::vector<std::string>> k{
      {"dense", {"type", "units", "activation", "bias", "fan_out"}},
      {"conv2d", {"type", "filters", "kernel", "stride", "padding", "activation", "bias", "kernel_w", "stride_w",
                  "padding_left", "padding_bottom", "padding_right"}},
      {"maxpool", {"type", "size", "stride", "padding"}},
      {"flatten", {"type"}},
  };
  return k;
}

void decode_layer(const Node& n, const std::string& path, LayerConfig& out,
                  std::vector<ConfigError>& errors) {
  if (n.kind != Node::Kind::kMap) {
    errors.push_back({n.loc, path, fmt::format("expected a mapping like {{type: dense, units: 10}}, found {}", found(n))});
    out.decoded = false;
    return;
  }
  const Node* type = nullptr;
  for (auto& [k, v] : n.entries)
    if (k == "type") type = &v;
  std::vector<std::string> types;
  for (auto& [t, _] : layer_keys()) types.push_back(t);
  if (!type) {
    errors.push_back({n.loc, path + ".type", "missing key (expected one of conv2d | dense | flatten | maxpool)"});
    out.decoded = false;
    return;
  }
  auto it = type->kind == Node::Kind::kScalar ? layer_keys().find(type->scalar) : layer_keys().end();
  if (it == layer_keys().end()) {
    std::string hint = type->kind == Node::Kind::kScalar ? did_you_mean(type->scalar, types) : "";
    errors.push_back({type->loc, path + ".type",
                      fmt::format("expected one of conv2d | dense | flatten | maxpool, found {}{}", found(*type),
                                  hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))});
    out.decoded = false;
    return;
  }
  const std::string& t = it->first;
  out.type = t == "dense" ? LayerType::kDense : t == "conv2d" ? LayerType::kConv2d
           : t == "maxpool" ? LayerType::kMaxpool : LayerType::kFlatten;
  bool has_units = false, has_filters = false;
  for (size_t i = 0; i < n.entries.size(); ++i) {
    const std::string& k = n.entries[i].first;
    const Node& v = n.entries[i].second;  // (not a structured binding: lambdas below capture it)
    const std::string kp = path + "." + k;
    const SourceLoc& kl = n.key_locs[i];
    if (std::find(it->second.begin(), it->second.end(), k) == it->second.end()) {
      std::string hint = did_you_mean(k, it->second);
      errors.push_back({kl, kp, fmt::format("unknown key for a {} layer{}", t,
                                            hint.empty() ? fmt::format(" (allowed: {})", fmt::join(it->second, ", "))
                                                         : fmt::format(" (did you mean '{}'?)", hint))});
      continue;
    }
    auto get_int = [&](int lo, int hi, int& dst) {
      auto x = parse_int(v);
      if (!x || *x < lo || *x > hi)
        errors.push_back({v.loc, kp, fmt::format("expected an integer in [{}, {}], found {}", lo, hi, found(v))});
      else
        dst = static_cast<int>(*x);
    };
    if (k == "units") { get_int(1, 1 << 24, out.units); has_units = true; }
    else if (k == "filters") { get_int(1, 1 << 20, out.filters); has_filters = true; }
    else if (k == "kernel") get_int(1, 1024, out.kernel);
    else if (k == "stride" && t == "maxpool") get_int(1, 1024, out.pool_stride);
    else if (k == "padding" && t == "maxpool") get_int(0, 1024, out.pool_padding);
    else if (k == "stride") get_int(1, 1024, out.stride);
    else if (k == "padding") get_int(0, 1024, out.padding);
    else if (k == "kernel_w") get_int(1, 1024, out.kernel_w);
    else if (k == "stride_w") get_int(1, 1024, out.stride_w);
    else if (k == "padding_left") get_int(0, 1024, out.padding_left);
    else if (k == "padding_bottom") get_int(0, 1024, out.padding_bottom);
    else if (k == "padding_right") get_int(0, 1024, out.padding_right);
    else if (k == "size") get_int(1, 1024, out.size);
    else if (k == "fan_out") get_int(1, 1 << 24, out.fan_out);
    else if (k == "bias") {
      if (v.kind == Node::Kind::kScalar && (v.scalar == "true" || v.scalar == "false")) out.bias = v.scalar == "true";
      else errors.push_back({v.loc, kp, fmt::format("expected true or false, found {}", found(v))});
    }
    else if (k == "activation") {
      if (v.kind == Node::Kind::kScalar && v.scalar == "relu") out.activation = Activation::kRelu;
      else if (v.kind == Node::Kind::kScalar && v.scalar == "sigmoid") out.activation = Activation::kSigmoid;
      else if (v.kind == Node::Kind::kNull || (v.kind == Node::Kind::kScalar && (v.scalar == "none" || v.scalar == "null")))
        out.activation = Activation::kNone;
      else {
        std::string hint = v.kind == Node::Kind::kScalar ? did_you_mean(v.scalar, {"relu", "sigmoid", "none"}) : "";
        errors.push_back({v.loc, kp, fmt::format("expected one of relu | sigmoid | none, found {}{}", found(v),
                                                 hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))});
      }
    }
  }
  if (t == "dense" && !has_units) errors.push_back({n.loc, path + ".units", "missing key (a dense layer needs units)"});
  if (t == "conv2d" && !has_filters)
    errors.push_back({n.loc, path + ".filters", "missing key (a conv2d layer needs filters)"});
}

// a decoded layer as the mapping it came from: its type and every key its
// type takes (the values it has, defaults included), at `loc`
Node layer_node(const LayerConfig& l, const SourceLoc& loc) {
  Node n;
  n.kind = Node::Kind::kMap;
  n.loc = loc;
  auto add = [&](const std::string& k, const std::string& v) {
    Node x;
    x.kind = Node::Kind::kScalar;
    x.scalar = v;
    x.loc = loc;
    n.entries.emplace_back(k, x);
    n.key_locs.push_back(loc);
  };
  for (const auto& e : config_detail::layer_entries(l)) add(e.key, e.value);
  return n;
}

struct Decoder {
  Config& cfg;
  std::vector<ConfigError>& errors;
  std::map<std::string, SourceLoc> locs;

  // child key names valid under `prefix` ("" = top level)
  static std::vector<std::string> children(const std::string& prefix) {
    std::set<std::string> out;
    for (auto& f : config_fields()) {
      if (!prefix.empty() && f.path.rfind(prefix + ".", 0) != 0) continue;
      std::string rest = prefix.empty() ? f.path : f.path.substr(prefix.size() + 1);
      out.insert(rest.substr(0, rest.find('.')));
    }
    if (prefix == "network") out.insert("layers");
    return {out.begin(), out.end()};
  }
  static const FieldSpec* field(const std::string& path) {
    for (auto& f : config_fields())
      if (f.path == path) return &f;
    return nullptr;
  }

  void map(const Node& n, const std::string& prefix) {
    for (size_t i = 0; i < n.entries.size(); ++i) {
      const auto& [k, v] = n.entries[i];
      const std::string path = prefix.empty() ? k : prefix + "." + k;
      locs[path] = n.key_locs[i];
      auto kids = children(prefix);
      if (std::find(kids.begin(), kids.end(), k) == kids.end()) {
        std::string hint = did_you_mean(k, kids);
        errors.push_back({n.key_locs[i], path,
                          hint.empty() ? fmt::format("unknown key (expected one of: {})", fmt::join(kids, ", "))
                                       : fmt::format("unknown key (did you mean '{}'?)", hint)});
        continue;
      }
      if (path == "network.layers") { layers(v, path); continue; }
      if (const FieldSpec* f = field(path)) {
        if (auto e = f->decode(cfg, v)) errors.push_back({v.loc, path, *e});
        continue;
      }
      if (v.kind != Node::Kind::kMap) {
        errors.push_back({v.loc, path, fmt::format("expected a mapping of {}, found {}",
                                                   fmt::join(children(path), ", "), found(v))});
        continue;
      }
      map(v, path);
    }
  }
  void layers(const Node& v, const std::string& path) {
    if (v.kind != Node::Kind::kSeq || v.items.empty()) {
      errors.push_back({v.loc, path, fmt::format("expected a non-empty list of layers, found {}", found(v))});
      return;
    }
    cfg.network.layers.clear();
    for (size_t i = 0; i < v.items.size(); ++i) {
      LayerConfig l;
      locs[fmt::format("{}[{}]", path, i)] = v.items[i].loc;
      decode_layer(v.items[i], fmt::format("{}[{}]", path, i), l, errors);
      cfg.network.layers.push_back(l);
    }
  }
};

int levenshtein(const std::string& a, const std::string& b) {
  std::vector<int> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int prev = d[0];
    d[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}

}  // namespace

std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  int best_d = 1 << 30;
  for (auto& c : candidates) {
    int d = levenshtein(key, c);
    if (d < best_d) best_d = d, best = c;
  }
  const int limit = std::max<int>(2, static_cast<int>(key.size()) / 3);
  return best_d <= limit ? best : "";
}

void decode_config(const Node& doc, Config& out, std::vector<ConfigError>& errors,
                   const std::vector<std::string>& overridden) {
  std::map<std::string, SourceLoc> locs;
  if (!decode_fields(doc, out, errors, locs)) return;
  validate_after_decode(out, errors, locs, doc.loc.file, overridden);
}

bool decode_fields(const Node& doc, Config& out, std::vector<ConfigError>& errors,
                   std::map<std::string, SourceLoc>& locs) {
  if (doc.kind != Node::Kind::kMap) {
    errors.push_back({doc.loc, "", fmt::format("expected a mapping at the top of the file, found {}", found(doc))});
    return false;
  }
  Decoder d{out, errors, {}};
  d.map(doc, "");
  locs = d.locs;
  bool has_network = false;
  for (auto& [k, v] : doc.entries) has_network |= k == "network";
  if (!has_network) {
    errors.push_back({SourceLoc{doc.loc.file, 1, 1}, "network",
                      "missing key (the network has no default: give input_shape and layers, topology_csv, or onnx)"});
    return false;
  }
  return true;
}

void validate_after_decode(const Config& out, std::vector<ConfigError>& errors,
                           const std::map<std::string, SourceLoc>& locs, const std::string& file,
                           const std::vector<std::string>& overridden) {
  // cross-key checks say nothing about keys that already failed to decode
  const size_t decoded = errors.size();
  std::vector<std::string> failed;
  for (const auto& e : errors) failed.push_back(e.path);
  validate_config(out, [&](const std::string& p) {
    for (const auto& o : overridden)
      if (o == p) return SourceLoc{"--set", 0, 0};
    for (std::string q = p;; q = q.substr(0, q.rfind('.'))) {
      auto it = locs.find(q);
      if (it != locs.end()) return it->second;
      if (q.find('.') == std::string::npos) break;
    }
    return SourceLoc{file, 1, 1};
  }, errors);
  auto covered = [&](const std::string& p) {
    for (const auto& f : failed)
      if (p == f || p.rfind(f + ".", 0) == 0 || p.rfind(f + "[", 0) == 0 || f.rfind(p + ".", 0) == 0 ||
          f.rfind(p + "[", 0) == 0)
        return true;
    return false;
  };
  errors.erase(std::remove_if(errors.begin() + static_cast<std::ptrdiff_t>(decoded), errors.end(),
                              [&](const ConfigError& e) { return covered(e.path); }),
               errors.end());
}

void apply_override(const std::string& path, const Node& value, Config& cfg,
                    std::vector<ConfigError>& errors) {
  SourceLoc loc{"--set", 0, 0};
  if (path == "network.layers") {  // the list of layers, as in a file
    if (value.kind != Node::Kind::kSeq || value.items.empty()) {
      errors.push_back({loc, path, fmt::format("expected a non-empty list of layers like [{{type: dense, units: 10}}], "
                                               "found {}", found(value))});
      return;
    }
    cfg.network.layers.clear();
    for (size_t i = 0; i < value.items.size(); ++i) {
      LayerConfig l;
      decode_layer(value.items[i], fmt::format("{}[{}]", path, i), l, errors);
      cfg.network.layers.push_back(l);
    }
    return;
  }
  // one layer, or one key of it: network.layers[I] or network.layers[I].KEY
  if (path.rfind("network.layers[", 0) == 0) {
    const size_t open = std::string("network.layers").size(), close = path.find(']', open);
    const std::string digits = close == std::string::npos ? "" : path.substr(open + 1, close - open - 1);
    const std::string rest = close == std::string::npos ? "" : path.substr(close + 1);
    const bool numeric = !digits.empty() && digits.size() <= 6 &&
                         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!numeric || (!rest.empty() && (rest[0] != '.' || rest.size() == 1 || rest.find('.', 1) != std::string::npos))) {
      errors.push_back({loc, path, "expected network.layers[I] or network.layers[I].KEY, I a layer's index from 0"});
      return;
    }
    const size_t i = std::stoul(digits);
    auto& layers = cfg.network.layers;
    if (i >= layers.size()) {
      errors.push_back({loc, path, layers.empty() ? std::string("the network has no layers list to index")
                                                  : fmt::format("the network has {} layers (indices 0 to {})",
                                                                layers.size(), layers.size() - 1)});
      return;
    }
    const std::string lpath = fmt::format("network.layers[{}]", i);
    Node n = value;
    if (!rest.empty()) {  // the layer as it stands, with the one key replaced or added
      if (!layers[i].decoded) return;  // its own errors are reported already
      n = layer_node(layers[i], loc);
      const std::string key = rest.substr(1);
      bool replaced = false;
      for (auto& [k, v] : n.entries)
        if (k == key) v = value, replaced = true;
      if (!replaced) n.entries.emplace_back(key, value), n.key_locs.push_back(loc);
    }
    LayerConfig l;
    decode_layer(n, lpath, l, errors);
    layers[i] = l;
    return;
  }
  for (auto& f : config_fields()) {
    if (f.path == path) {
      if (auto e = f.decode(cfg, value)) errors.push_back({loc, path, *e});
      return;
    }
  }
  std::vector<std::string> all;
  for (auto& f : config_fields()) all.push_back(f.path);
  std::string hint = did_you_mean(path, all);
  errors.push_back({loc, path, hint.empty() ? "unknown key (see `systrain check` for every key)"
                                            : fmt::format("unknown key (did you mean '{}'?)", hint)});
}

namespace {
// accelerator.kind: edge (model/edge/edge_shape.h): its own rules, instead of the array's
void validate_edge(const Config& cfg, const std::function<void(const std::string&, std::string)>& err) {
  const auto& net = cfg.network;
  const ScheduleKind k = cfg.schedule.kind;
  if (k != ScheduleKind::kPipelined && k != ScheduleKind::kBaseline && k != ScheduleKind::kInference)
    err("schedule.kind", fmt::format("the edge trainer runs pipelined, baseline (one input at a time) or inference, "
                                     "found {}", to_string(k)));
  if (cfg.simulation.backend != Backend::kTlm) {
    if (!cfg.simulation.functional)
      err("simulation.functional", fmt::format("the edge trainer's RTL runs with values (timing only is the tlm "
                                               "backend's closed form), found backend {}",
                                               to_string(cfg.simulation.backend)));
    if (cfg.is_float())
      err("simulation.backend", fmt::format("'{}' needs accelerator.numerics.kind: fixed (the RTL implements fixed "
                                            "point; float32 runs in the tlm backend)", to_string(cfg.simulation.backend)));
    for (size_t i = 0; i < cfg.accelerator.edge.z.size(); ++i)
      if (cfg.accelerator.edge.z[i] > 512)
        err("accelerator.edge.z", fmt::format("z[{}] = {}: the RTL is built for at most 512 lanes", i,
                                              cfg.accelerator.edge.z[i]));
    for (size_t i = 0; i < net.layers.size(); ++i)
      if (net.layers[i].fan_out > 16)
        err(fmt::format("network.layers[{}].fan_out", i), "the RTL holds at most 16 start vectors (fan_out 16)");
  }
  if (cfg.simulation.functional && cfg.training.dataset == Dataset::kFashionMnist && !net.input_shape.empty() &&
      net.input_shape[0] != 784 && net.input_shape[0] != 1024)
    err("network.input_shape", fmt::format("fashion-mnist images have 784 pixels (28x28; a 1024 input takes them padded "
                                           "to 32x32), found [{}]", net.input_shape[0]));
  if (cfg.simulation.functional && !net.layers.empty() && net.layers.back().units < 10 &&
      cfg.training.dataset == Dataset::kFashionMnist)
    err(fmt::format("network.layers[{}].units", net.layers.size() - 1),
        fmt::format("fashion-mnist has 10 classes, one output neuron each; found {}", net.layers.back().units));
  if (!net.onnx.empty() || !net.topology_csv.empty())
    err(!net.onnx.empty() ? "network.onnx" : "network.topology_csv",
        "the edge trainer takes its network as input_shape and layers with a fan_out");
  if (cfg.training.loss == Loss::kSoftmaxXent)
    err("training.loss", "the edge trainer's outputs are sigmoids against one-hot labels: sigmoid_xent (or auto)");
  if (!cfg.is_float() && cfg.accelerator.edge.input_bits - 1 > cfg.accelerator.numerics.frac_bits)
    err("accelerator.edge.input_bits", fmt::format("an input's {} fractional bits must fit frac_bits ({}): at most {}",
                                                   cfg.accelerator.edge.input_bits - 1,
                                                   cfg.accelerator.numerics.frac_bits,
                                                   cfg.accelerator.numerics.frac_bits + 1));
  if (k != ScheduleKind::kInference && cfg.training.batch != 1)
    err("training.batch", fmt::format("the edge trainer updates after every input: 1, found {}", cfg.training.batch));
  const double lr = cfg.training.learning_rate, k2 = std::log2(lr);
  if (k != ScheduleKind::kInference && (lr > 1 || k2 != std::round(k2)))
    err("training.learning_rate", fmt::format("the edge trainer's η is a shift: 2^-k (1, 0.5, 0.25, ...), found {}", lr));
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerConfig& l = net.layers[i];
    if (l.type == LayerType::kDense && l.activation != Activation::kSigmoid)
      err(fmt::format("network.layers[{}].activation", i), "the edge trainer's neurons are sigmoids (a look-up table): "
                                                           "activation: sigmoid");
    if (l.bias) err(fmt::format("network.layers[{}].bias", i), "the edge trainer's junctions have no bias");
  }
  std::vector<std::pair<std::string, std::string>> problems;
  edge_shape(cfg, &problems);
  for (auto& [path, msg] : problems) err(path, msg);
}
}  // namespace

void validate_config(const Config& cfg, const std::function<SourceLoc(const std::string&)>& where,
                     std::vector<ConfigError>& errors) {
  auto err = [&](const std::string& path, std::string msg) { errors.push_back({where(path), path, std::move(msg)}); };
  if (cfg.accelerator.kind == AcceleratorKind::kEdge) return validate_edge(cfg, err);
  // the edge trainer's keys on the array
  if (cfg.schedule.kind == ScheduleKind::kPipelined)
    err("schedule.kind", "pipelined is the edge trainer's (accelerator.kind: edge); the array runs inference, baseline, "
                         "interleaved or speculative");
  if (cfg.training.loss == Loss::kSigmoidXent)
    err("training.loss", "sigmoid_xent is the edge trainer's (accelerator.kind: edge); the array's loss is softmax_xent");
  bool masked = false;
  for (size_t i = 0; i < cfg.network.layers.size(); ++i) {
    const LayerConfig& l = cfg.network.layers[i];
    if (l.activation == Activation::kSigmoid)
      err(fmt::format("network.layers[{}].activation", i), "sigmoid is the edge trainer's (accelerator.kind: edge); "
                                                           "the array applies relu or none");
    masked |= l.fan_out > 0;
  }
  // fan_out on the array: the edge trainer's pre-defined sparse network as a mask on dense layers; its
  // connectivity is accelerator.edge's, which must describe it
  if (masked) {
    for (size_t i = 0; i < cfg.network.layers.size(); ++i)
      if (cfg.network.layers[i].fan_out < 1)
        err(fmt::format("network.layers[{}].fan_out", i), "a masked network gives every layer a fan_out");
    std::vector<std::pair<std::string, std::string>> problems;
    edge_shape(cfg, &problems);
    for (auto& [path, msg] : problems) err(path, msg + " (the array's mask is the edge trainer's connectivity)");
  }
  const auto& nu = cfg.accelerator.numerics;
  if (nu.acc_bits < nu.data_bits)
    err("accelerator.numerics.acc_bits", fmt::format("must be >= data_bits ({}), found {}", nu.data_bits, nu.acc_bits));
  if (nu.frac_bits >= nu.acc_bits)
    err("accelerator.numerics.frac_bits", fmt::format("must be < acc_bits ({}), found {}", nu.acc_bits, nu.frac_bits));
  if (nu.kind == NumericsKind::kFloat32 && cfg.simulation.backend != Backend::kTlm)
    err("simulation.backend", fmt::format("'{}' needs accelerator.numerics.kind: fixed (the RTL implements fixed "
                                          "point; float32 runs in the tlm backend)", to_string(cfg.simulation.backend)));
  if (nu.kind == NumericsKind::kFixed) {
    const std::pair<const char*, int> fracs[] = {
        {"activation_frac_bits", nu.activation_frac_bits}, {"weight_frac_bits", nu.weight_frac_bits},
        {"error_frac_bits", nu.error_frac_bits}, {"gradient_frac_bits", nu.gradient_frac_bits}};
    for (const auto& [key, f] : fracs)
      if (f >= 0 && f >= nu.acc_bits)
        err(fmt::format("accelerator.numerics.{}", key), fmt::format("must be < acc_bits ({}), found {}", nu.acc_bits, f));
    if (cfg.schedule.kind != ScheduleKind::kInference) {
      const int wg = nu.activation_frac() + nu.error_frac() - nu.gradient_frac();
      if (wg < 0 || wg > 63)
        err("accelerator.numerics.gradient_frac_bits",
            fmt::format("must be <= activation_frac_bits + error_frac_bits ({}), found {} (the weight gradient "
                        "is the sum of activation x error products)", nu.activation_frac() + nu.error_frac(),
                        nu.gradient_frac()));
      const int upd = 16 + nu.gradient_frac() - nu.weight_frac();
      if (upd < 0 || upd > 63)
        err("accelerator.numerics.weight_frac_bits",
            fmt::format("must be <= gradient_frac_bits + 16 ({}), found {} (the update shifts lr·dW by "
                        "16 + gradient_frac_bits - weight_frac_bits)", nu.gradient_frac() + 16, nu.weight_frac()));
      if (cfg.training.learning_rate * 65536.0 >= 16777216.0)
        err("training.learning_rate", fmt::format("must be < 256 in fixed point (the RTL holds lr·2^16 in 24 bits), "
                                                  "found {}", cfg.training.learning_rate));
      if (std::llround(cfg.training.learning_rate * 65536.0) == 0)
        err("training.learning_rate", fmt::format("must be >= 2^-17 in fixed point (lr·2^16 rounds to 0), found {}",
                                                  cfg.training.learning_rate));
    }
  }
  const auto& net = cfg.network;
  if (!net.onnx.empty()) {
    // read by the loader (sim/io/onnx_loader.cpp), which fills input_shape and layers
    if (!net.topology_csv.empty()) err("network.onnx", "give either onnx or topology_csv, not both");
  } else if (cfg.training.init == Init::kModel) {
    err("training.init", "model: the weights come from a model file, and network.onnx is not set");
  }
  if (!net.topology_csv.empty()) {
    // read and checked by the loader (sim/io/yaml_loader.cpp)
    if (!net.layers.empty() || !net.input_shape.empty())
      err("network.topology_csv", "give either topology_csv or input_shape and layers, not both");
    if (cfg.simulation.functional)
      err("simulation.functional", "a topology file carries no data: it runs timing only (set simulation.functional: "
                                   "false)");
    if (cfg.schedule.kind == ScheduleKind::kSpeculative)
      err("schedule.kind", "the speculative schedule needs a network with data (input_shape and layers), not a "
                           "topology file");
  } else if (net.onnx.empty()) {
    if (net.input_shape.empty()) err("network.input_shape", "missing key (needed with network.layers)");
    if (net.layers.empty()) err("network.layers", "missing key (a list of layers)");
  }
  // the shapes through the layers: [N] vectors and [C, H, W] images
  {
    bool image = net.input_shape.size() == 3;
    int64_t c = net.input_shape.empty() ? 0 : net.input_shape[0];
    int64_t h = image ? net.input_shape[1] : 1, wd = image ? net.input_shape[2] : 1;
    auto shape = [&] { return image ? fmt::format("[{}, {}, {}]", c, h, wd) : fmt::format("[{}]", c); };
    // (only when every layer could be read: a layer whose type is wrong has
    // no shape, and errors about it would follow from the first, not from
    // what the user wrote)
    const bool layers_decoded = std::all_of(net.layers.begin(), net.layers.end(),
                                            [](const LayerConfig& l) { return l.decoded; });
    bool ok = !net.input_shape.empty() && layers_decoded;
    // (sizes multiplied in doubles: three dimensions of 2^24 overflow 64 bits)
    auto elements = [&] { return static_cast<double>(c) * static_cast<double>(h) * static_cast<double>(wd); };
    if (ok && elements() > static_cast<double>(int64_t{1} << 28)) {
      err("network.input_shape", fmt::format("the input {} has more than 2^28 elements a sample", shape()));
      ok = false;
    }
    for (size_t i = 0; i < net.layers.size() && ok; ++i) {
      const LayerConfig& lc = net.layers[i];
      const std::string at = fmt::format("network.layers[{}]", i);
      switch (lc.type) {
        case LayerType::kConv2d: {
          if (!image) {
            err(at, fmt::format("a conv2d layer takes a [C, H, W] image, but its input is {} (give "
                                "network.input_shape as [C, H, W] and put conv2d layers before flatten)", shape()));
            ok = false;
            break;
          }
          const int64_t oh = conv_out(h, lc.kernel, lc.stride, lc.pad_top(), lc.pad_bottom()),
                        ow = conv_out(wd, lc.kw(), lc.sw(), lc.pad_left(), lc.pad_right());
          const bool square = lc.kw() == lc.kernel, even = lc.pad_left() == lc.padding &&
                                                            lc.pad_bottom() == lc.padding && lc.pad_right() == lc.padding;
          if (oh < 1 || ow < 1) {
            err(at + ".kernel",
                fmt::format("a {}x{} kernel does not fit the {}x{} input with padding {}", lc.kernel, lc.kw(), h, wd,
                            even ? std::to_string(lc.padding)
                                 : fmt::format("(top {}, left {}, bottom {}, right {})", lc.pad_top(), lc.pad_left(),
                                               lc.pad_bottom(), lc.pad_right())));
            ok = false;
            break;
          }
          // a window of padding only: every side's padding is less than the kernel's extent across it
          const std::pair<const char*, std::pair<int, int>> sides[] = {{"padding", {lc.pad_top(), lc.kernel}},
                                                                      {"padding_left", {lc.pad_left(), lc.kw()}},
                                                                      {"padding_bottom", {lc.pad_bottom(), lc.kernel}},
                                                                      {"padding_right", {lc.pad_right(), lc.kw()}}};
          bool bad = false;
          for (const auto& [key, pk] : sides)
            if (!bad && pk.first >= pk.second) {
              err(at + "." + key,
                  fmt::format("must be less than {} ({}), found {} (a window of padding only)",
                              square                                                        ? "kernel"
                              : key == std::string("padding") || key == std::string("padding_bottom") ? "kernel (its height)"
                                                                                            : "kernel_w",
                              pk.second, pk.first));
              bad = true;
            }
          if (bad) {
            ok = false;
            break;
          }
          c = lc.filters, h = oh, wd = ow;
          break;
        }
        case LayerType::kMaxpool:
          if (!image) {
            err(at, fmt::format("a maxpool layer takes a [C, H, W] image, but its input is {}", shape()));
            ok = false;
          } else if (lc.pool_padding >= lc.size) {
            err(at + ".padding", fmt::format("must be less than the window ({}), found {} (a window of padding only)",
                                             lc.size, lc.pool_padding));
            ok = false;
          } else if (lc.size > h + 2 * lc.pool_padding || lc.size > wd + 2 * lc.pool_padding) {
            err(at + ".size", lc.pool_padding == 0
                                  ? fmt::format("a {0}x{0} window does not fit the {1}x{2} input", lc.size, h, wd)
                                  : fmt::format("a {0}x{0} window does not fit the {1}x{2} input with padding {3}",
                                                lc.size, h, wd, lc.pool_padding));
            ok = false;
          } else {
            h = conv_out(h, lc.size, lc.pool_step(), lc.pool_padding);
            wd = conv_out(wd, lc.size, lc.pool_step(), lc.pool_padding);
          }
          break;
        case LayerType::kFlatten:
          if (image) c = c * h * wd, h = wd = 1, image = false;
          break;
        case LayerType::kDense:
          if (image) {
            err(at, fmt::format("a dense layer takes a vector, but its input is the image {} (put {{type: flatten}} "
                                "before it)", shape()));
            ok = false;
          } else {
            c = lc.units;
          }
          break;
      }
      if (ok && (lc.type == LayerType::kConv2d || lc.type == LayerType::kMaxpool) &&
          elements() > static_cast<double>(int64_t{1} << 28)) {
        err(at, fmt::format("its output {} has more than 2^28 elements a sample", shape()));
        ok = false;
      }
    }
    if (ok && !net.layers.empty() && net.layers.back().type != LayerType::kDense)
      err(fmt::format("network.layers[{}]", net.layers.size() - 1),
          fmt::format("the last layer must be dense (it feeds softmax and cross-entropy), found {}",
                      to_string(net.layers.back().type)));
  }
  if (cfg.training.dataset == Dataset::kFashionMnist && net.input_shape.size() == 3 &&
      !(net.input_shape[0] == 1 && net.input_shape[1] == 28 && net.input_shape[2] == 28))
    err("network.input_shape", fmt::format("fashion-mnist images are [1, 28, 28], found [{}, {}, {}]; use [1, 28, 28] or "
                                           "training.dataset: synthetic", net.input_shape[0], net.input_shape[1],
                                           net.input_shape[2]));
  if (cfg.training.dataset == Dataset::kFashionMnist && !net.layers.empty() && net.layers.back().decoded &&
      net.layers.back().type == LayerType::kDense &&
      net.layers.back().units >= 2 && net.layers.back().units < 10)
    err(fmt::format("network.layers[{}].units", net.layers.size() - 1),
        fmt::format("fashion-mnist has 10 classes: the last layer needs at least 10 units, found {}",
                    net.layers.back().units));
  if (cfg.training.dataset == Dataset::kFashionMnist && net.input_shape.size() == 1 && net.input_shape[0] != 784 &&
      net.input_shape[0] != 1024)
    err("network.input_shape", fmt::format("fashion-mnist samples have 784 features (28x28; a [1024] input takes them "
                                           "padded to 32x32), found [{}]; use [784] or training.dataset: synthetic",
                                           net.input_shape[0]));
  // (units 0: not given or not read, which its own error says)
  if (cfg.schedule.kind != ScheduleKind::kInference && !net.layers.empty() && net.layers.back().decoded &&
      net.layers.back().type == LayerType::kDense && net.layers.back().units == 1)
    err(fmt::format("network.layers[{}].units", net.layers.size() - 1),
        "training needs at least 2 classes in the last layer (it feeds softmax and cross-entropy)");
  if (!net.layers.empty() && net.layers.back().decoded && net.layers.back().type == LayerType::kDense &&
      net.layers.back().activation == Activation::kRelu)
    err(fmt::format("network.layers[{}].activation", net.layers.size() - 1),
        "the last layer feeds softmax and cross-entropy: it takes no activation");
  if (cfg.schedule.kind == ScheduleKind::kSpeculative && cfg.schedule.speculation.engines == Engines::kSplit) {
    const int cols = cfg.accelerator.array.cols, fc = cfg.schedule.speculation.forward_cols;
    if (cols < 2)
      err("schedule.speculation.engines",
          fmt::format("split shares the array's columns between two engines: needs accelerator.array.cols >= 2, "
                      "found {} (use engines: dual)", cols));
    else if (fc >= cols)
      err("schedule.speculation.forward_cols",
          fmt::format("must leave the backward engine a column: expected at most {} (cols - 1), found {}", cols - 1,
                      fc));
  }
  if (!cfg.simulation.dump_tensors.empty() && !cfg.simulation.functional)
    err("simulation.dump_tensors", "needs simulation.functional: true (a timing-only run computes no values)");
  if (!cfg.simulation.dump_tensors.empty() &&
      (cfg.schedule.kind == ScheduleKind::kInference || cfg.schedule.kind == ScheduleKind::kSpeculative))
    err("simulation.dump_tensors", fmt::format("dumps the tensors of sequential training steps: needs schedule.kind "
                                               "baseline or interleaved, found {}", to_string(cfg.schedule.kind)));
}

}  // namespace systrain
