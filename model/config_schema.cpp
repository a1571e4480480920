#include "config_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

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
const char* to_string(Dataflow d) { return d == Dataflow::kWs ? "ws" : "os"; }
const char* to_string(LayerType t) {
  switch (t) {
    case LayerType::kConv2d: return "conv2d";
    case LayerType::kMaxpool: return "maxpool";
    case LayerType::kFlatten: return "flatten";
    case LayerType::kDense: return "dense";
  }
  return "?";
}

namespace {

std::string found(const Node& n) {
  if (n.kind == Node::Kind::kScalar) return fmt::format("'{}'", n.scalar);
  return n.kind_name();
}

std::optional<int64_t> parse_int(const Node& n) {
  if (n.kind != Node::Kind::kScalar || n.scalar.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(n.scalar.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}
std::optional<double> parse_num(const Node& n) {
  if (n.kind != Node::Kind::kScalar || n.scalar.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(n.scalar.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}
std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", c);
    else o += c;
  }
  return o + "\"";
}
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
  f.push_back(num_field("accelerator.clock_mhz", [](C& c) -> double& { return c.accelerator.clock_mhz; },
                        0, 1e5, true, "clock frequency (reports wall-clock time of the simulated run)"));
  f.push_back(int_field("accelerator.array.rows", [](C& c) -> int& { return c.accelerator.array.rows; },
                        1, 256, "PE rows R"));
  f.push_back(int_field("accelerator.array.cols", [](C& c) -> int& { return c.accelerator.array.cols; },
                        1, 256, "PE columns C"));
  f.push_back(int_field("accelerator.array.pe_multipliers",
                        [](C& c) -> int& { return c.accelerator.array.pe_multipliers; }, 1, 2,
                        "multipliers per PE (2 lets the interleaved schedule do AG and WG MACs in one cycle)"));
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
  f.push_back(int_field("accelerator.sram.activations_kib",
                        [](C& c) -> int& { return c.accelerator.sram.activations_kib; }, 1, 1 << 20,
                        "activation buffer size"));
  f.push_back(int_field("accelerator.sram.weights_kib",
                        [](C& c) -> int& { return c.accelerator.sram.weights_kib; }, 1, 1 << 20,
                        "weight buffer size"));
  f.push_back(int_field("accelerator.sram.gradients_kib",
                        [](C& c) -> int& { return c.accelerator.sram.gradients_kib; }, 1, 1 << 20,
                        "gradient/error buffer size (holds partial sums in inference)"));
  f.push_back(int_field("accelerator.sram.banks", [](C& c) -> int& { return c.accelerator.sram.banks; },
                        1, 1024, "banks per buffer"));
  f.push_back(int_field("accelerator.sram.words_per_cycle",
                        [](C& c) -> int& { return c.accelerator.sram.words_per_cycle; }, 1, 1 << 16,
                        "bandwidth of each buffer in words per cycle (must cover the array edge)"));
  f.push_back(int_field("accelerator.dram.bytes_per_cycle",
                        [](C& c) -> int& { return c.accelerator.dram.bytes_per_cycle; }, 1, 1 << 16,
                        "DRAM bandwidth"));
  f.push_back(int_field("accelerator.dram.latency_cycles",
                        [](C& c) -> int& { return c.accelerator.dram.latency_cycles; }, 0, 1 << 20,
                        "DRAM access latency"));
  f.push_back(num_field("accelerator.energy_pj.mac", [](C& c) -> double& { return c.accelerator.energy_pj.mac; },
                        0, 1e9, false, "energy of one MAC"));
  f.push_back(num_field("accelerator.energy_pj.sram_word",
                        [](C& c) -> double& { return c.accelerator.energy_pj.sram_word; }, 0, 1e9, false,
                        "energy of one SRAM word access"));
  f.push_back(num_field("accelerator.energy_pj.dram_word",
                        [](C& c) -> double& { return c.accelerator.energy_pj.dram_word; }, 0, 1e9, false,
                        "energy of one DRAM word access"));
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
                        true, "SCALE-Sim topology file instead of input_shape/layers (timing only)"));
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
  f.push_back(enum_field<ScheduleKind>(
      "schedule.kind", [](C& c) -> ScheduleKind& { return c.schedule.kind; },
      {{"inference", ScheduleKind::kInference}, {"baseline", ScheduleKind::kBaseline},
       {"interleaved", ScheduleKind::kInterleaved}, {"speculative", ScheduleKind::kSpeculative}},
      "what runs (see the spec's schedule table)"));
  f.push_back(enum_field<Dataflow>("schedule.forward_dataflow",
                                   [](C& c) -> Dataflow& { return c.schedule.forward_dataflow; },
                                   {{"ws", Dataflow::kWs}, {"os", Dataflow::kOs}},
                                   "dataflow of the forward pass"));
  f.push_back(enum_field<SpecPolicy>(
      "schedule.speculation.policy", [](C& c) -> SpecPolicy& { return c.schedule.speculation.policy; },
      {{"gradient_reuse", SpecPolicy::kGradientReuse}, {"output_speculation", SpecPolicy::kOutputSpeculation}},
      "speculation policy"));
  f.push_back(num_field("schedule.speculation.threshold",
                        [](C& c) -> double& { return c.schedule.speculation.threshold; }, 0, 1e9, false,
                        "cross-entropy threshold of a speculation hit"));
  f.push_back(enum_field<Engines>("schedule.speculation.engines",
                                  [](C& c) -> Engines& { return c.schedule.speculation.engines; },
                                  {{"split", Engines::kSplit}, {"dual", Engines::kDual}},
                                  "split one array or model two"));
  f.push_back(enum_field<Backend>("simulation.backend", [](C& c) -> Backend& { return c.simulation.backend; },
                                  {{"tlm", Backend::kTlm}, {"rtl", Backend::kRtl}, {"cosim", Backend::kCosim}},
                                  "array model: TLM (closed form), Verilated RTL, or both in lockstep"));
  f.push_back(bool_field("simulation.functional", [](C& c) -> bool& { return c.simulation.functional; },
                         "compute values (false: timing only)"));
  f.push_back(int_field("simulation.max_steps", [](C& c) -> int64_t& { return c.simulation.max_steps; }, 0,
                        (int64_t{1} << 40), "stop after this many steps; 0 = no limit"));
  f.push_back(str_field("simulation.vcd", [](C& c) -> std::string& { return c.simulation.vcd; }, true,
                        "VCD file to write, or null"));
  f.push_back({"simulation.vcd_window", "[first, last] cycle, 0 <= first <= last",
               "cycles dumped to the VCD",
               [](Config& c, const Node& n) -> std::optional<std::string> {
                 if (n.kind == Node::Kind::kSeq && n.items.size() == 2) {
                   auto a = parse_int(n.items[0]), b = parse_int(n.items[1]);
                   if (a && b && *a >= 0 && *b >= *a) {
                     c.simulation.vcd_window = {*a, *b};
                     return std::nullopt;
                   }
                 }
                 return fmt::format("expected [first, last] with 0 <= first <= last, found {}",
                                    n.kind == Node::Kind::kSeq && n.items.size() == 2
                                        ? fmt::format("[{}, {}]", n.items[0].scalar, n.items[1].scalar)
                                        : found(n));
               },
               [](const Config& c) {
                 return fmt::format("[{}, {}]", c.simulation.vcd_window[0], c.simulation.vcd_window[1]);
               }});
  f.push_back(str_field("simulation.dump_tensors", [](C& c) -> std::string& { return c.simulation.dump_tensors; },
                        true, "folder for .npy tensor dumps, or null"));
  return f;
}

// keys allowed in a layer mapping, per type
const std::map<std::string, std::vector<std::string>>& layer_keys() {
  static const std::map<std::string, std::vector<std::string>> k{
      {"dense", {"type", "units", "activation"}},
      {"conv2d", {"type", "filters", "kernel", "stride", "padding", "activation"}},
      {"maxpool", {"type", "size"}},
      {"flatten", {"type"}},
  };
  return k;
}

void decode_layer(const Node& n, const std::string& path, LayerConfig& out,
                  std::vector<ConfigError>& errors) {
  if (n.kind != Node::Kind::kMap) {
    errors.push_back({n.loc, path, fmt::format("expected a mapping like {{type: dense, units: 10}}, found {}", found(n))});
    return;
  }
  const Node* type = nullptr;
  for (auto& [k, v] : n.entries)
    if (k == "type") type = &v;
  std::vector<std::string> types;
  for (auto& [t, _] : layer_keys()) types.push_back(t);
  if (!type) {
    errors.push_back({n.loc, path + ".type", "missing key (expected one of conv2d | dense | flatten | maxpool)"});
    return;
  }
  auto it = type->kind == Node::Kind::kScalar ? layer_keys().find(type->scalar) : layer_keys().end();
  if (it == layer_keys().end()) {
    std::string hint = type->kind == Node::Kind::kScalar ? did_you_mean(type->scalar, types) : "";
    errors.push_back({type->loc, path + ".type",
                      fmt::format("expected one of conv2d | dense | flatten | maxpool, found {}{}", found(*type),
                                  hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))});
    return;
  }
  const std::string& t = it->first;
  out.type = t == "dense" ? LayerType::kDense : t == "conv2d" ? LayerType::kConv2d
           : t == "maxpool" ? LayerType::kMaxpool : LayerType::kFlatten;
  bool has_units = false, has_filters = false;
  for (size_t i = 0; i < n.entries.size(); ++i) {
    const auto& [k, v] = n.entries[i];
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
    else if (k == "stride") get_int(1, 1024, out.stride);
    else if (k == "padding") get_int(0, 1024, out.padding);
    else if (k == "size") get_int(1, 1024, out.size);
    else if (k == "activation") {
      if (v.kind == Node::Kind::kScalar && v.scalar == "relu") out.activation = Activation::kRelu;
      else if (v.kind == Node::Kind::kNull || (v.kind == Node::Kind::kScalar && (v.scalar == "none" || v.scalar == "null")))
        out.activation = Activation::kNone;
      else {
        std::string hint = v.kind == Node::Kind::kScalar ? did_you_mean(v.scalar, {"relu", "none"}) : "";
        errors.push_back({v.loc, kp, fmt::format("expected one of relu | none, found {}{}", found(v),
                                                 hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))});
      }
    }
  }
  if (t == "dense" && !has_units) errors.push_back({n.loc, path + ".units", "missing key (a dense layer needs units)"});
  if (t == "conv2d" && !has_filters)
    errors.push_back({n.loc, path + ".filters", "missing key (a conv2d layer needs filters)"});
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

const std::vector<FieldSpec>& config_fields() {
  static const std::vector<FieldSpec> fields = make_fields();
  return fields;
}

void decode_config(const Node& doc, Config& out, std::vector<ConfigError>& errors) {
  if (doc.kind != Node::Kind::kMap) {
    errors.push_back({doc.loc, "", fmt::format("expected a mapping at the top of the file, found {}", found(doc))});
    return;
  }
  Decoder d{out, errors, {}};
  d.map(doc, "");
  bool has_network = false;
  for (auto& [k, v] : doc.entries) has_network |= k == "network";
  if (!has_network) {
    errors.push_back({SourceLoc{doc.loc.file, 1, 1}, "network",
                      "missing key (the network has no default: give input_shape and layers, or topology_csv)"});
    return;
  }
  // cross-key checks say nothing about keys that already failed to decode
  const size_t decoded = errors.size();
  std::vector<std::string> failed;
  for (const auto& e : errors) failed.push_back(e.path);
  validate_config(out, [&](const std::string& p) {
    for (std::string q = p;; q = q.substr(0, q.rfind('.'))) {
      auto it = d.locs.find(q);
      if (it != d.locs.end()) return it->second;
      if (q.find('.') == std::string::npos) break;
    }
    return SourceLoc{doc.loc.file, 1, 1};
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

void validate_config(const Config& cfg, const std::function<SourceLoc(const std::string&)>& where,
                     std::vector<ConfigError>& errors) {
  auto err = [&](const std::string& path, std::string msg) { errors.push_back({where(path), path, std::move(msg)}); };
  const auto& nu = cfg.accelerator.numerics;
  if (nu.acc_bits < nu.data_bits)
    err("accelerator.numerics.acc_bits", fmt::format("must be >= data_bits ({}), found {}", nu.data_bits, nu.acc_bits));
  if (nu.frac_bits >= nu.acc_bits)
    err("accelerator.numerics.frac_bits", fmt::format("must be < acc_bits ({}), found {}", nu.acc_bits, nu.frac_bits));
  if (nu.kind == NumericsKind::kFloat32)
    err("accelerator.numerics.kind", "float32 is not supported yet (only fixed is built)");
  const auto& net = cfg.network;
  if (!net.topology_csv.empty()) {
    err("network.topology_csv", "not supported yet (give input_shape and layers)");
  } else {
    if (net.input_shape.empty()) err("network.input_shape", "missing key (needed with network.layers)");
    if (net.layers.empty()) err("network.layers", "missing key (a list of layers)");
  }
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (net.layers[i].type != LayerType::kDense)
      err(fmt::format("network.layers[{}]", i),
          fmt::format("{} layers are not supported yet (this build simulates dense layers)",
                      to_string(net.layers[i].type)));
  if (!net.layers.empty() && net.input_shape.size() == 3)
    err("network.input_shape", "[C, H, W] inputs need conv2d/flatten layers, which are not supported yet; use [N]");
  if (cfg.training.dataset == Dataset::kFashionMnist && net.input_shape.size() == 1 && net.input_shape[0] != 784)
    err("network.input_shape", fmt::format("fashion-mnist samples have 784 features (28x28), found [{}]; "
                                           "use [784] or training.dataset: synthetic", net.input_shape[0]));
  if (!net.layers.empty() && net.layers.back().type == LayerType::kDense &&
      net.layers.back().activation == Activation::kRelu)
    err(fmt::format("network.layers[{}].activation", net.layers.size() - 1),
        "the last layer feeds softmax and cross-entropy: it takes no activation");
  if (cfg.schedule.kind != ScheduleKind::kInference)
    err("schedule.kind", fmt::format("'{}' is not supported yet (this build runs 'inference')", to_string(cfg.schedule.kind)));
  if (!cfg.simulation.dump_tensors.empty())
    err("simulation.dump_tensors", "not supported yet (set it to null)");
  const int edge = std::max(cfg.accelerator.array.rows, cfg.accelerator.array.cols) * cfg.words_per_psum();
  if (cfg.accelerator.sram.words_per_cycle < edge)
    err("accelerator.sram.words_per_cycle",
        fmt::format("must be >= {} (max(rows, cols) x words per partial sum) so the array edge never starves, found {}",
                    edge, cfg.accelerator.sram.words_per_cycle));
}

namespace {

// the resolved config as a tree of keys in declaration order; leaves hold
// JSON literals (network.layers also carries its YAML form)
struct KeyTree {
  std::string key, json, yaml;
  std::vector<KeyTree> kids;
  KeyTree& child(const std::string& k) {
    for (auto& c : kids)
      if (c.key == k) return c;
    kids.push_back({k, "", "", {}});
    return kids.back();
  }
};

std::string layer_fields(const LayerConfig& l, const char* q) {
  std::string s = fmt::format("{0}type{0}: {0}{1}{0}", q, to_string(l.type));
  if (l.type == LayerType::kDense) s += fmt::format(", {0}units{0}: {1}", q, l.units);
  if (l.type == LayerType::kConv2d)
    s += fmt::format(", {0}filters{0}: {1}, {0}kernel{0}: {2}, {0}stride{0}: {3}, {0}padding{0}: {4}", q, l.filters,
                     l.kernel, l.stride, l.padding);
  if (l.type == LayerType::kMaxpool) s += fmt::format(", {0}size{0}: {1}", q, l.size);
  if (l.type == LayerType::kDense || l.type == LayerType::kConv2d)
    s += fmt::format(", {0}activation{0}: {0}{1}{0}", q, l.activation == Activation::kRelu ? "relu" : "none");
  return "{" + s + "}";
}

KeyTree config_tree(const Config& cfg) {
  KeyTree root;
  for (const auto& f : config_fields()) {
    KeyTree* t = &root;
    for (size_t p = 0, q; p <= f.path.size(); p = q + 1) {
      q = f.path.find('.', p);
      if (q == std::string::npos) q = f.path.size();
      t = &t->child(f.path.substr(p, q - p));
    }
    t->json = t->yaml = f.show(cfg);
  }
  KeyTree& layers = root.child("network").child("layers");
  layers.json = "[";
  for (size_t i = 0; i < cfg.network.layers.size(); ++i) {
    layers.json += (i ? ", " : "") + layer_fields(cfg.network.layers[i], "\"");
    layers.yaml += "\n    - " + layer_fields(cfg.network.layers[i], "");
  }
  layers.json += "]";
  return root;
}

void emit_json(const KeyTree& t, int depth, std::string& out) {
  out += "{";
  for (size_t i = 0; i < t.kids.size(); ++i) {
    const KeyTree& k = t.kids[i];
    out += (i ? ",\n" : "\n") + std::string((depth + 1) * 2, ' ') + "\"" + k.key + "\": ";
    if (k.kids.empty()) out += k.json;
    else emit_json(k, depth + 1, out);
  }
  out += "\n" + std::string(depth * 2, ' ') + "}";
}

void emit_yaml(const KeyTree& t, int depth, std::string& out) {
  for (const auto& k : t.kids) {
    out += std::string(depth * 2, ' ') + k.key + ":";
    if (!k.kids.empty()) {
      out += "\n";
      emit_yaml(k, depth + 1, out);
    } else {
      out += (k.yaml.rfind("\n", 0) == 0 ? k.yaml : " " + k.yaml) + "\n";
    }
  }
}

}  // namespace

std::string config_to_json(const Config& cfg, int indent) {
  std::string out;
  emit_json(config_tree(cfg), indent, out);
  return out;
}

std::string config_to_yaml(const Config& cfg) {
  std::string out;
  emit_yaml(config_tree(cfg), 0, out);
  return out;
}

std::string config_reference_markdown() {
  Config defaults;
  std::string out = "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
  for (const auto& f : config_fields()) {
    std::string def = f.path.rfind("network.", 0) == 0 ? "(none)" : f.show(defaults);
    out += fmt::format("| `{}` | {} | `{}` | {} |\n", f.path, f.type_name, def, f.help);
  }
  out += "| `network.layers` | list of `{type: dense, units: N, activation: relu\\|none}` "
         "(conv2d, maxpool, flatten parse but are not built yet) | (none) | the layers, in order |\n";
  return out;
}

}  // namespace systrain
