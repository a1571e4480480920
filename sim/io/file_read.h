// Reading a user's input file whole (a config, a topology CSV, an ONNX model or tensor): it must be a regular
// file (a FIFO would block, /dev/zero never end) of at most max_bytes, both checked before it is opened.
#pragma once

#include <cstdint>
#include <string>

namespace systrain {

// The file's bytes into `bytes`; "" on success, else why not ("is a folder, not <what>", ...), to follow the
// path in the caller's error.
std::string read_regular_file(const std::string& path, const char* what, int64_t max_bytes, std::string& bytes);

}  // namespace systrain
