#include "vcd_writer.h"

#include <fmt/format.h>

namespace systrain {

VcdWriter::~VcdWriter() {
  if (f_) std::fclose(f_);
}

int VcdWriter::add_signal(const std::string& name, int width) {
  std::string code;
  for (int n = static_cast<int>(sigs_.size());; n = n / 94 - 1) {
    code += static_cast<char>('!' + n % 94);
    if (n < 94) break;
  }
  sigs_.push_back({name, code, width, 0, false});
  return static_cast<int>(sigs_.size()) - 1;
}

bool VcdWriter::open(const std::string& path, const std::string& scope) {
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) return false;
  fmt::print(f_, "$version systrain TLM schedule trace $end\n$timescale 1ps $end\n");
  fmt::print(f_, "$scope module {} $end\n", scope);
  for (const auto& s : sigs_) fmt::print(f_, "$var wire {} {} {} $end\n", s.width, s.code, s.name);
  fmt::print(f_, "$upscope $end\n$enddefinitions $end\n");
  return true;
}

void VcdWriter::emit(const Sig& s, uint64_t v) {
  if (s.width == 1) fmt::print(f_, "{}{}\n", v & 1, s.code);
  else fmt::print(f_, "b{:b} {}\n", v, s.code);
}

void VcdWriter::change(uint64_t time, int id, uint64_t value) {
  if (!f_) return;
  if (!started_) {
    fmt::print(f_, "#{}\n$dumpvars\n", time);
    for (auto& s : sigs_) {
      if (&s == &sigs_[id]) s.value = value;
      emit(s, s.value);
      s.dumped = true;
    }
    fmt::print(f_, "$end\n");
    started_ = true;
    now_ = time;
    return;
  }
  Sig& s = sigs_[id];
  if (s.value == value) return;
  if (time != now_) fmt::print(f_, "#{}\n", time), now_ = time;
  s.value = value;
  emit(s, value);
}

void VcdWriter::close(uint64_t end_time) {
  if (!f_) return;
  if (started_ && end_time > now_) fmt::print(f_, "#{}\n", end_time);
  std::fclose(f_);
  f_ = nullptr;
}

}  // namespace systrain
