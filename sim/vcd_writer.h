// A minimal VCD (IEEE 1364 value change dump) writer for the TLM backend's
// schedule signals. Times are picoseconds of simulated time, as in the RTL
// trace, so both line up in GTKWave.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace systrain {

class VcdWriter {
 public:
  VcdWriter() = default;
  ~VcdWriter();
  VcdWriter(const VcdWriter&) = delete;
  VcdWriter& operator=(const VcdWriter&) = delete;

  int add_signal(const std::string& name, int width);  // before open()
  bool open(const std::string& path, const std::string& scope);
  // value changes must come in non-decreasing time
  void change(uint64_t time, int id, uint64_t value);
  void close(uint64_t end_time);

 private:
  struct Sig { std::string name, code; int width; uint64_t value; bool dumped; };
  void emit(const Sig& s, uint64_t v);
  std::vector<Sig> sigs_;
  FILE* f_ = nullptr;
  uint64_t now_ = 0;
  bool started_ = false;
};

}  // namespace systrain
