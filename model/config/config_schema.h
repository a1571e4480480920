// The single declaration of every config key: name, type, help, check, and how
// it is decoded into Config and shown back. YAML decoding, the unknown-key
// check, `systrain check`, the report's resolved config and the README's
// config reference all walk this table.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "config_node.h"

namespace systrain {

struct FieldSpec {
  std::string path;       // "accelerator.array.rows"
  std::string type_name;  // "integer in [1, 4096]", "one of: fixed, float32", ...
  std::string help;
  // returns "expected …, found …" on a bad value
  std::function<std::optional<std::string>(Config&, const Node&)> decode;
  std::function<std::string(const Config&)> show;  // JSON literal of the value
};

const std::vector<FieldSpec>& config_fields();

// Decodes a whole document (with the network section) into `out`, appending
// every problem to `errors`, then runs the cross-key checks (which say nothing
// about keys that failed to decode). `overridden` keys are located at --set.
void decode_config(const Node& doc, Config& out, std::vector<ConfigError>& errors,
                   const std::vector<std::string>& overridden = {});

// The two halves of decode_config, for a loader that applies `--set`
// overrides between them: decode_fields returns false when the document has
// no usable top level; `locs` maps key paths to where they stand.
bool decode_fields(const Node& doc, Config& out, std::vector<ConfigError>& errors,
                   std::map<std::string, SourceLoc>& locs);
void validate_after_decode(const Config& out, std::vector<ConfigError>& errors,
                           const std::map<std::string, SourceLoc>& locs, const std::string& file,
                           const std::vector<std::string>& overridden);

// Applies one `--set key.path=value` override (value already parsed as YAML).
void apply_override(const std::string& path, const Node& value, Config& cfg,
                    std::vector<ConfigError>& errors);

// Cross-key checks and "not supported yet" checks; `where` locates a path.
void validate_config(const Config& cfg, const std::function<SourceLoc(const std::string&)>& where,
                     std::vector<ConfigError>& errors);

// Resolved config as JSON (every default filled in) and as YAML.
std::string config_to_json(const Config& cfg, int indent);
std::string config_to_yaml(const Config& cfg);

// Markdown table of every key, for the README.
std::string config_reference_markdown();

// Closest candidate by edit distance, or "" if none is close.
std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace systrain
