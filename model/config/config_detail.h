// Helpers shared by the config schema's translation units (not an API).
#pragma once
#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "config_node.h"

namespace systrain::config_detail {

// how a found value is named in messages: 'text', or "a list", "a mapping", "null"
std::string found(const Node& n);
std::optional<int64_t> parse_int(const Node& n);
std::optional<double> parse_num(const Node& n);
std::string json_str(const std::string& s);
// the bytes of the well-formed UTF-8 sequence at s[i] (1 for ASCII), or 0
size_t utf8_length(const std::string& s, size_t i);
// the offset of the first byte that is not part of a well-formed UTF-8
// sequence, or npos
size_t first_non_utf8(const std::string& s);

// a layer as its keys: its type, then each key its type takes, with the value
// it has (text: a string, quoted in JSON), in the order `check` prints them
struct LayerEntry {
  const char* key;
  std::string value;
  bool text;
};
std::vector<LayerEntry> layer_entries(const LayerConfig& l);

}  // namespace systrain::config_detail
