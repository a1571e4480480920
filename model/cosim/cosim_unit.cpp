#include "cosim_unit.h"

#include <fmt/format.h>

#include <vector>

namespace systrain {
namespace {

uint64_t key(Buffer b, int64_t addr) { return (static_cast<uint64_t>(b) << 56) | static_cast<uint64_t>(addr); }

// address -> word, open addressing (a tile's few thousand words: no node per
// word, as std::unordered_map has)
class WordMap {
 public:
  WordMap() { rehash(1024); }
  // inserts k -> v unless k is there; returns the value now at k
  int64_t emplace(uint64_t k, int64_t v) {
    const size_t i = slot(k);
    if (keys_[i] == k) return vals_[i];
    put(i, k, v);
    return v;
  }
  void assign(uint64_t k, int64_t v) {
    const size_t i = slot(k);
    if (keys_[i] == k) vals_[i] = v;
    else put(i, k, v);
  }
  const int64_t* find(uint64_t k) const {
    const size_t i = slot(k);
    return keys_[i] == k ? &vals_[i] : nullptr;
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // no key: a buffer index in the top byte is small
  size_t slot(uint64_t k) const {
    size_t i = static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
    while (keys_[i] != kEmpty && keys_[i] != k) i = (i + 1) & mask_;
    return i;
  }
  void put(size_t i, uint64_t k, int64_t v) {
    keys_[i] = k, vals_[i] = v;
    if (++size_ * 2 > keys_.size()) rehash(keys_.size() * 2);
  }
  void rehash(size_t n) {
    std::vector<uint64_t> keys(n, kEmpty);
    std::vector<int64_t> vals(n);
    keys.swap(keys_), vals.swap(vals_);
    mask_ = n - 1, size_ = 0;
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] != kEmpty) put(slot(keys[i]), keys[i], vals[i]);
  }
  std::vector<uint64_t> keys_;
  std::vector<int64_t> vals_;
  size_t mask_ = 0, size_ = 0;
};

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
      last_.assign(key(a.buffer, at), *p++);
    });
  }
  struct Word {
    Buffer buf;
    Operand op;
    int64_t addr, value;
  };
  WordMap read_;                // the first value read at each address
  std::vector<Word> written_;   // in write order
  WordMap last_;                // the last value written at each address

 private:
  MemoryPort& inner_;
};

// serves the checked array's reads from what the reference read; records its writes
class ReplayPort final : public MemoryPort {
 public:
  ReplayPort(const WordMap& image, bool functional)
      : image_(image), functional_(functional) {}
  void read(const Access2D& a, Operand op, int64_t* data) override {
    if (!data) return;
    each(a, [&](int64_t at) {
      const int64_t* v = image_.find(key(a.buffer, at));
      if (functional_ && !v && missing_.empty())
        missing_ = fmt::format("rtl read {} word {} of the {} buffer, which tlm never read", to_string(op), at,
                               to_string(a.buffer));
      *data++ = v ? *v : 0;
    });
  }
  void write(const Access2D& a, Operand, const int64_t* data) override {
    if (!data) return;
    each(a, [&](int64_t at) { last_.assign(key(a.buffer, at), *data++); });
  }
  WordMap last_;
  std::string missing_;

 private:
  const WordMap& image_;
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
    const int64_t* theirs = replay.last_.find(k);
    const int64_t mine = *rec.last_.find(k);
    if (!theirs)
      throw CosimMismatch(end, fmt::format("tlm wrote {} to word {} of the {} buffer ({}), rtl did not write it",
                                           to_string(w.op), w.addr, to_string(w.buf), mine));
    if (*theirs != mine)
      throw CosimMismatch(end, fmt::format("{} word {} of the {} buffer: tlm wrote {}, rtl wrote {}", to_string(w.op),
                                           w.addr, to_string(w.buf), mine, *theirs));
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
