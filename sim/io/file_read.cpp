#include "file_read.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace systrain {

std::string read_regular_file(const std::string& path, const char* what, int64_t max_bytes, std::string& bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fmt::format("cannot read the file: {}", std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return fmt::format("is a folder, not {}", what);
  if (!S_ISREG(st.st_mode)) return fmt::format("is not a regular file (a device, FIFO or socket); give {}", what);
  if (st.st_size > max_bytes) return fmt::format("is {} bytes; {} is at most {} bytes", st.st_size, what, max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fmt::format("cannot read the file: {}", std::strerror(errno));
  bytes.assign(static_cast<size_t>(st.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(st.st_size));
  bytes.resize(static_cast<size_t>(in.gcount()));  // (a file that shrank since)
  return "";
}

}  // namespace systrain
