// Reads a YAML config (the only file that includes yaml-cpp) and applies
// `--set key=value` overrides; every error comes back located.
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "config_node.h"

namespace systrain {

struct LoadedConfig {
  Config config;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

LoadedConfig load_config(const std::string& path, const std::vector<std::string>& overrides);
// The same for a config's text (`path` names it in messages): the fuzz target's entry.
LoadedConfig load_config_text(const std::string& text, const std::string& path,
                              const std::vector<std::string>& overrides);

// Parses YAML text into a Node (for tests and --set values).
Node parse_yaml(const std::string& text, const std::string& file, std::vector<ConfigError>& errors);

}  // namespace systrain
