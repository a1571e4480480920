#include "yaml_loader.h"

#include "config_detail.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <unordered_set>
#include <tuple>
#include <sstream>

#include "config_schema.h"
#include "file_read.h"
#include "onnx_loader.h"
#include "topology.h"

#include <map>

namespace systrain {
namespace {

// What a config may be: a regular file of text, at most this big, this deep
// and, aliases expanded, this many nodes (a real config has a few hundred).
constexpr int64_t kMaxConfigBytes = 1 << 20;
constexpr int kMaxDepth = 32;
constexpr int64_t kMaxNodes = 20000;

SourceLoc loc_of(const YAML::Mark& m, const std::string& file) {
  return {file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

struct Budget {
  int64_t nodes = 0;
  bool reported = false;
};

Node convert(const YAML::Node& y, const std::string& file, std::vector<ConfigError>& errors, const std::string& path,
             int depth, Budget& budget) {
  Node n;
  n.loc = loc_of(y.Mark(), file);
  if (budget.reported) return n;
  if (depth > kMaxDepth || ++budget.nodes > kMaxNodes) {  // a recursive alias, an alias bomb
    budget.reported = true;
    errors.push_back({n.loc, path,
                      depth > kMaxDepth
                          ? fmt::format("nested deeper than {} levels (a recursive alias?); a config is a few levels deep",
                                        kMaxDepth)
                          : fmt::format("the document expands to more than {} nodes (aliases included); a config has a "
                                        "few hundred", kMaxNodes)});
    return n;
  }
  switch (y.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      n.kind = Node::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::kScalar;
      n.scalar = y.Scalar();
      if (n.scalar.find('\0') != std::string::npos) {  // "\x00" in a quoted string: no key takes one
        errors.push_back({n.loc, path, "the value contains a NUL character"});
        n.scalar.clear();
        n.kind = Node::Kind::kNull;
        break;
      }
      // a plain `null`/`~` scalar is null; a quoted "null" stays a string
      if (y.Tag() != "!" && (n.scalar == "null" || n.scalar == "~" || n.scalar == "Null" || n.scalar == "NULL"))
        n.kind = Node::Kind::kNull;
      break;
    case YAML::NodeType::Sequence:
      n.kind = Node::Kind::kSeq;
      for (size_t i = 0; i < y.size() && !budget.reported; ++i)
        n.items.push_back(convert(y[i], file, errors, fmt::format("{}[{}]", path, i), depth + 1, budget));
      break;
    case YAML::NodeType::Map: {
      n.kind = Node::Kind::kMap;
      std::unordered_set<std::string> seen;
      for (auto it = y.begin(); it != y.end() && !budget.reported; ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
        const std::string kp = path.empty() ? key : path + "." + key;
        if (!seen.insert(key).second) errors.push_back({loc_of(it->first.Mark(), file), kp, "duplicate key"});
        n.entries.emplace_back(key, convert(it->second, file, errors, kp, depth + 1, budget));
        n.key_locs.push_back(loc_of(it->first.Mark(), file));
      }
      break;
    }
  }
  return n;
}

// the position of a document's first node (the parser's events, nothing kept)
struct FirstMark : YAML::EventHandler {
  YAML::Mark mark;
  bool seen = false;
  void at(const YAML::Mark& m) {
    if (!seen) mark = m, seen = true;
  }
  void OnDocumentStart(const YAML::Mark& m) override { at(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { at(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { at(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { at(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    at(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    at(m);
  }
  void OnMapEnd() override {}
};

// CR LF and lone CR (old Mac files) are line breaks, as YAML says
std::string normalise_line_breaks(const std::string& text) {
  std::string o;
  o.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      o += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      o += text[i];
    }
  }
  return o;
}

}  // namespace

Node parse_yaml(const std::string& raw, const std::string& file, std::vector<ConfigError>& errors) {
  const size_t nul = raw.find('\0');
  if (nul != std::string::npos) {
    const int line = 1 + static_cast<int>(std::count(raw.begin(), raw.begin() + nul, '\n'));
    const size_t bol = raw.rfind('\n', nul);
    const int col = 1 + static_cast<int>(nul - (bol == std::string::npos ? 0 : bol + 1));
    errors.push_back({{file, line, col}, "", "a NUL byte: this is not a text file"});
    return {};
  }
  if (const size_t bad = config_detail::first_non_utf8(raw); bad != std::string::npos) {
    const int line = 1 + static_cast<int>(std::count(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    const size_t bol = raw.rfind('\n', bad);
    const int col = 1 + static_cast<int>(bad - (bol == std::string::npos ? 0 : bol + 1));
    errors.push_back({{file, line, col}, "",
                      fmt::format("a byte that is not UTF-8 (0x{:02x}): a config is UTF-8 text",
                                  static_cast<unsigned>(static_cast<unsigned char>(raw[bad])))});
    return {};
  }
  const std::string text = normalise_line_breaks(raw);
  try {
    // One document: the first is loaded, and the parser is asked for one
    // more (never YAML::LoadAll, which loops forever on input such as ","
    // in yaml-cpp 0.7: its issue #1040)
    const YAML::Node root = YAML::Load(text);
    if (root.Type() != YAML::NodeType::Null) {
      std::stringstream stream(text);
      YAML::Parser parser(stream);
      FirstMark first, second;
      parser.HandleNextDocument(first);
      if (parser.HandleNextDocument(second)) {
        errors.push_back({loc_of(second.mark, file), "", "a second YAML document ('---'): a config is one document"});
        return {};
      }
    }
    Budget budget;
    return convert(root, file, errors, "", 0, budget);
  } catch (const YAML::DeepRecursion& e) {
    errors.push_back({loc_of(e.mark, file), "", "YAML nested too deeply; a config is a few levels deep"});
    return {};
  } catch (const YAML::Exception& e) {
    errors.push_back({loc_of(e.mark, file), "", fmt::format("YAML syntax error: {}", e.msg)});
    return {};
  }
}

LoadedConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::string text;
  if (const std::string why = read_regular_file(path, "a config file", kMaxConfigBytes, text); !why.empty()) {
    LoadedConfig out;
    out.errors.push_back({{path, 0, 0}, "", why});
    return out;
  }
  return load_config_text(text, path, overrides);
}

LoadedConfig load_config_text(const std::string& text, const std::string& path,
                              const std::vector<std::string>& overrides) {
  LoadedConfig out;
  if (static_cast<int64_t>(text.size()) > kMaxConfigBytes) {
    out.errors.push_back({{path, 0, 0}, "", fmt::format("is {} bytes; a config is at most {} bytes", text.size(),
                                                        kMaxConfigBytes)});
    return out;
  }
  Node doc = parse_yaml(text, path, out.errors);
  if (!out.errors.empty()) return out;
  if (doc.kind == Node::Kind::kNull) {
    const bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    out.errors.push_back({{path, 1, 1}, "", blank ? "the file is empty (expected a mapping with at least `network`)"
                                                  : "the document is null (expected a mapping with at least `network`)"});
    return out;
  }
  // cross-key checks run once, after the overrides: `--schedule inference`
  // can rescue a file whose schedule is invalid
  std::map<std::string, SourceLoc> locs;
  if (!decode_fields(doc, out.config, out.errors, locs)) return out;
  std::vector<std::string> overridden;
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      out.errors.push_back({{"--set", 0, 0}, o, "expected KEY=VALUE"});
      continue;
    }
    std::vector<ConfigError> perr;
    Node v = parse_yaml(o.substr(eq + 1), "--set", perr);
    if (!perr.empty()) {
      for (auto& e : perr) out.errors.push_back({{"--set", 0, 0}, o.substr(0, eq), e.message});
      continue;
    }
    apply_override(o.substr(0, eq), v, out.config, out.errors);
    overridden.push_back(o.substr(0, eq));
  }
  // an ONNX model gives the layers and their weights (its errors located in
  // it); a relative path is taken from the config's folder
  if (!out.config.network.onnx.empty()) {
    Config& c = out.config;
    std::filesystem::path file = c.network.onnx;
    if (file.is_relative() && path != "--set") file = std::filesystem::path(path).parent_path() / file;
    const SourceLoc at = locs.count("network.onnx") ? locs.at("network.onnx") : SourceLoc{path, 0, 0};
    if (!c.network.layers.empty() || !c.network.input_shape.empty()) {
      out.errors.push_back({at, "network.onnx", "give either onnx or input_shape and layers, not both"});
    } else {
      try {
        OnnxModel m = load_onnx(file.string());
        c.network.input_shape = std::move(m.input_shape);
        c.network.layers = std::move(m.layers);
        c.network.model_weights = std::move(m.weights);
      } catch (const OnnxError& e) {
        out.errors.push_back({at, "network.onnx", e.what()});
      }
    }
  }
  // a topology file carries no data: one image, unless the config says otherwise
  if (!out.config.network.topology_csv.empty()) {
    auto given = [&](const std::string& key) {
      if (locs.count(key)) return true;
      for (const auto& o : overridden)
        if (o == key || key.rfind(o + ".", 0) == 0) return true;
      return false;
    };
    if (!given("training.batch")) out.config.training.batch = 1;
    if (!given("training.train_samples")) out.config.training.train_samples = 1;
    if (!given("training.test_samples")) out.config.training.test_samples = 1;
  }
  validate_after_decode(out.config, out.errors, locs, path, overridden);
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
  });
  // a SCALE-Sim topology file is read and checked here (its errors located
  // in it, after the config's own); a relative path is taken from the
  // config's folder
  if (!out.config.network.topology_csv.empty()) {
    std::filesystem::path csv = out.config.network.topology_csv;
    if (csv.is_relative() && path != "--set") csv = std::filesystem::path(path).parent_path() / csv;
    const SourceLoc at = locs.count("network.topology_csv") ? locs.at("network.topology_csv") : SourceLoc{path, 0, 0};
    std::string text;
    if (const std::string why = read_regular_file(csv.string(), "a topology file", 4 * kMaxConfigBytes, text);
        !why.empty()) {
      out.errors.push_back({at, "network.topology_csv", fmt::format("{}: {}", csv.string(), why)});
    } else {
      const size_t before = out.errors.size();
      Topology topo = parse_topology(text, csv.string(), out.errors,
                                     out.config.network.topology_convention == TopologyConvention::kScalesim);
      if (out.errors.size() == before) out.config.network.topology = std::move(topo.layers);
    }
  }
  return out;
}

}  // namespace systrain
