#include "cosim_unit.h"

#include <fmt/format.h>

#include <unordered_map>
#include <vector>

namespace systrain {
namespace {

uint64_t key(Buffer b, int64_t addr) { return (static_cast<uint64_t>(b) << 56) | static_cast<uint64_t>(addr); }

template <class F>
void each(const Access2D& a, F f) {
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) f(a.addr + i * a.row_stride + j * a.col_stride);
}

// forwards to the real memory and remembers every word read and written
class RecordingPort final : public MemoryPort {
 public:
  explicit RecordingPort(MemoryPort& inner) : inner_(inner) {}
  void read(const Access2D& a, Operand op, int64_t* data) override {
    inner_.read(a, op, data);
    if (!data) return;
    const int64_t* p = data;
    each(a, [&](int64_t at) { read_.emplace(key(a.buffer, at), *p++); });
  }
  void write(const Access2D& a, Operand op, const int64_t* data) override {
    inner_.write(a, op, data);
    if (!data) return;
    const int64_t* p = data;
    each(a, [&](int64_t at) {
      written_.push_back({a.buffer, op, at, *p});
      last_[key(a.buffer, at)] = *p++;
    });
  }
  struct Word {
    Buffer buf;
    Operand op;
    int64_t addr, value;
  };
  std::unordered_map<uint64_t, int64_t> read_;  // the first value read at each address
  std::vector<Word> written_;                   // in write order
  std::unordered_map<uint64_t, int64_t> last_;  // the last value written at each address

 private:
  MemoryPort& inner_;
};

// serves the checked array's reads from what the reference read; records its writes
class ReplayPort final : public MemoryPort {
 public:
  ReplayPort(const std::unordered_map<uint64_t, int64_t>& image, bool functional)
      : image_(image), functional_(functional) {}
  void read(const Access2D& a, Operand op, int64_t* data) override {
    if (!data) return;
    each(a, [&](int64_t at) {
      auto it = image_.find(key(a.buffer, at));
      if (functional_ && it == image_.end() && missing_.empty())
        missing_ = fmt::format("rtl read {} word {} of the {} buffer, which tlm never read", to_string(op), at,
                               to_string(a.buffer));
      *data++ = it == image_.end() ? 0 : it->second;
    });
  }
  void write(const Access2D& a, Operand, const int64_t* data) override {
    if (!data) return;
    each(a, [&](int64_t at) { last_[key(a.buffer, at)] = *data++; });
  }
  std::unordered_map<uint64_t, int64_t> last_;
  std::string missing_;

 private:
  const std::unordered_map<uint64_t, int64_t>& image_;
  bool functional_;
};

}  // namespace

struct WordReplay::Impl {
  Impl(MemoryPort& real, bool functional) : rec(real), functional(functional) {}
  RecordingPort rec;
  std::unique_ptr<ReplayPort> replay;
  bool functional;
};

WordReplay::WordReplay(MemoryPort& real, bool functional) : impl_(std::make_unique<Impl>(real, functional)) {}
WordReplay::~WordReplay() = default;

MemoryPort& WordReplay::reference_port() { return impl_->rec; }

MemoryPort& WordReplay::checked_port() {
  if (!impl_->replay) impl_->replay = std::make_unique<ReplayPort>(impl_->rec.read_, impl_->functional);
  return *impl_->replay;
}

void WordReplay::check(int64_t end, CosimStats& stats) const {
  const RecordingPort& rec = impl_->rec;
  const ReplayPort& replay = *impl_->replay;
  if (!replay.missing_.empty()) throw CosimMismatch(end, replay.missing_);
  if (!impl_->functional) return;
  for (const auto& w : rec.written_) {
    const uint64_t k = key(w.buf, w.addr);
    auto it = replay.last_.find(k);
    const int64_t mine = rec.last_.at(k);
    if (it == replay.last_.end())
      throw CosimMismatch(end, fmt::format("tlm wrote {} to word {} of the {} buffer ({}), rtl did not write it",
                                           to_string(w.op), w.addr, to_string(w.buf), mine));
    if (it->second != mine)
      throw CosimMismatch(end, fmt::format("{} word {} of the {} buffer: tlm wrote {}, rtl wrote {}", to_string(w.op),
                                           w.addr, to_string(w.buf), mine, it->second));
  }
  if (replay.last_.size() != rec.last_.size())
    throw CosimMismatch(end, fmt::format("rtl wrote {} words, tlm {}", replay.last_.size(), rec.last_.size()));
  stats.words_compared += static_cast<int64_t>(rec.last_.size());
}

namespace {
// flips the lowest bit of the first word written through it
class FlipPort final : public MemoryPort {
 public:
  explicit FlipPort(MemoryPort& inner) : inner_(inner) {}
  void read(const Access2D& a, Operand op, int64_t* data) override { inner_.read(a, op, data); }
  void write(const Access2D& a, Operand op, const int64_t* data) override {
    if (!data || done_ || a.elements() == 0) return inner_.write(a, op, data);
    std::vector<int64_t> v(data, data + a.elements());
    v[0] ^= 1;
    done_ = true;
    inner_.write(a, op, v.data());
  }

 private:
  MemoryPort& inner_;
  bool done_ = false;
};
}  // namespace

std::unique_ptr<MemoryPort> flip_first_write(MemoryPort& inner) { return std::make_unique<FlipPort>(inner); }

}  // namespace systrain
