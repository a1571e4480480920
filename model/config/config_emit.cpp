// The resolved config as JSON (reports) and YAML (`systrain check`), and the
// README's config reference, all generated from the key table.
#include <fmt/format.h>

#include "config_detail.h"
#include "config_schema.h"

namespace systrain {
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
  std::string s;
  for (const auto& e : config_detail::layer_entries(l))
    s += fmt::format("{0}{1}{2}{1}: {3}{4}{3}", s.empty() ? "" : ", ", q, e.key, e.text ? q : "", e.value);
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
    // the network's shape has no default: a key left empty shows so
    std::string def = f.show(defaults);
    if (f.path.rfind("network.", 0) == 0 && (def == "[]" || def == "null")) def = "(none)";
    std::string type;  // a '|' inside a table cell must be escaped
    for (char c : f.type_name) type += c == '|' ? std::string("\\|") : std::string(1, c);
    out += fmt::format("| `{}` | {} | `{}` | {} |\n", f.path, type, def, f.help);
  }
  out += "| `network.layers` | list of `{type: dense, units: N, activation: relu\\|none, bias: false\\|true}`, "
         "`{type: conv2d, filters: F, kernel: 3, stride: 1, padding: 0, activation: relu\\|none, bias: false\\|true}`, "
         "`{type: maxpool, size: 2, stride: 2, padding: 0}` (stride: default size; padding less than size), "
         "`{type: flatten}` | (none) | the layers, in order; the last is "
         "dense. A conv2d may be non-square or padded unevenly: `kernel_w` and `stride_w` (default: `kernel`, "
         "`stride`), `padding_left`, `padding_bottom` (default: `padding`) and `padding_right` (default: "
         "`padding_left`) |\n";
  return out;
}

}  // namespace systrain
