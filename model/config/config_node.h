// A parsed configuration document, independent of the YAML library: the
// loader in sim/ builds it, model/ decodes and validates it.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace systrain {

struct SourceLoc {
  std::string file;
  int line = 0, col = 0;  // 1-based; 0 = unknown
};

struct Node {
  enum class Kind { kNull, kScalar, kSeq, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;
  std::vector<Node> items;                            // kSeq
  std::vector<std::pair<std::string, Node>> entries;  // kMap, in file order
  std::vector<SourceLoc> key_locs;                    // kMap: where each key stands
  SourceLoc loc;
  const char* kind_name() const;
};

// One located error: prints as "file:line:col: key.path: message".
struct ConfigError {
  SourceLoc loc;
  std::string path;
  std::string message;
  std::string str() const;
};

}  // namespace systrain
