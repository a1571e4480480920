// libFuzzer target: the YAML config loader with --set overrides.
// Input: a config's text; the lines after a line "# --set" are overrides
// (KEY=VALUE). Whatever the input, loading must not crash, hang or grow
// without bound; a config that loads must round-trip through `check`'s YAML.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "config_schema.h"
#include "yaml_loader.h"

using namespace systrain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string text = input;
  std::vector<std::string> sets;
  const std::string sep = "\n# --set\n";
  if (const size_t at = input.find(sep); at != std::string::npos) {
    text = input.substr(0, at);
    size_t pos = at + sep.size();
    while (pos < input.size()) {
      size_t end = input.find('\n', pos);
      if (end == std::string::npos) end = input.size();
      sets.push_back(input.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  const LoadedConfig lc = load_config_text(text, "fuzz.yaml", sets);
  if (lc.ok()) {
    // what `systrain check` prints loads back to the same config
    const std::string yaml = config_to_yaml(lc.config);
    const LoadedConfig again = load_config_text(yaml, "resolved.yaml", {});
    if (!again.ok() || config_to_yaml(again.config) != yaml) std::abort();
  }
  return 0;
}
