// Helpers shared by the config schema's translation units (not an API).
#pragma once
#include <fmt/format.h>

#include <optional>
#include <string>

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

}  // namespace systrain::config_detail
