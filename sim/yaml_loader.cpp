#include "yaml_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <tuple>
#include <sstream>

#include "config_schema.h"

#include <map>

namespace systrain {
namespace {

SourceLoc loc_of(const YAML::Mark& m, const std::string& file) {
  return {file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

Node convert(const YAML::Node& y, const std::string& file, std::vector<ConfigError>& errors, const std::string& path) {
  Node n;
  n.loc = loc_of(y.Mark(), file);
  switch (y.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      n.kind = Node::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::kScalar;
      n.scalar = y.Scalar();
      // a plain `null`/`~` scalar is null; a quoted "null" stays a string
      if (y.Tag() != "!" && (n.scalar == "null" || n.scalar == "~" || n.scalar == "Null" || n.scalar == "NULL"))
        n.kind = Node::Kind::kNull;
      break;
    case YAML::NodeType::Sequence:
      n.kind = Node::Kind::kSeq;
      for (size_t i = 0; i < y.size(); ++i)
        n.items.push_back(convert(y[i], file, errors, fmt::format("{}[{}]", path, i)));
      break;
    case YAML::NodeType::Map:
      n.kind = Node::Kind::kMap;
      for (auto it = y.begin(); it != y.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
        const std::string kp = path.empty() ? key : path + "." + key;
        for (auto& [k, _] : n.entries)
          if (k == key) errors.push_back({loc_of(it->first.Mark(), file), kp, "duplicate key"});
        n.entries.emplace_back(key, convert(it->second, file, errors, kp));
        n.key_locs.push_back(loc_of(it->first.Mark(), file));
      }
      break;
  }
  return n;
}

}  // namespace

Node parse_yaml(const std::string& text, const std::string& file, std::vector<ConfigError>& errors) {
  try {
    return convert(YAML::Load(text), file, errors, "");
  } catch (const YAML::Exception& e) {
    errors.push_back({loc_of(e.mark, file), "", fmt::format("YAML syntax error: {}", e.msg)});
    return {};
  }
}

LoadedConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  LoadedConfig out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.errors.push_back({{path, 0, 0}, "", "cannot read the file (does it exist?)"});
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  Node doc = parse_yaml(ss.str(), path, out.errors);
  if (!out.errors.empty()) return out;
  if (doc.kind == Node::Kind::kNull) {
    out.errors.push_back({{path, 1, 1}, "", "the file is empty (expected a mapping with at least `network`)"});
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
  validate_after_decode(out.config, out.errors, locs, path, overridden);
  std::stable_sort(out.errors.begin(), out.errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
  });
  return out;
}

}  // namespace systrain
