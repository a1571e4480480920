// SCALE-Sim topology files (network.topology_csv), read as that tool ships
// them. Two formats, told apart by the header row:
//   conv: Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
//         Channels, Num Filter, Strides,      (a trailing comma; more columns
//         after these are ignored, as SCALE-Sim ignores them)
//   GEMM: Layer, M, N, K                      (Y[M×N] = X[M×K]·W[K×N])
// Rows whose every cell is empty are skipped. A conv layer lowers to the GEMM
// of its im2col view for one image: M = OFMAP H·W, K = Fh·Fw·C, N = filters,
// with OFMAP = ⌈(IFMAP − F) / stride⌉ + 1 (SCALE-Sim's rule; padding is already
// in the IFMAP size), or ⌊…⌋ + 1 under network.topology_convention: pytorch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "config_node.h"

namespace systrain {

// TopologyLayer is in config.h (the config carries the parsed file)


struct Topology {
  bool conv = true;  // the file's format
  std::vector<TopologyLayer> layers;
};

// Parses the text of a topology file; every bad row is a located error
// (file:line:column, the column of the cell).
// round_up: SCALE-Sim's OFMAP convention (network.topology_convention)
Topology parse_topology(const std::string& text, const std::string& file, std::vector<ConfigError>& errors,
                        bool round_up = true);

}  // namespace systrain
