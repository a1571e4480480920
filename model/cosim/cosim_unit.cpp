#include "cosim_unit.h"

#include <fmt/format.h>

#include <algorithm>
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
  // empty again, its room kept (the slots used are emptied, not the whole table)
  void clear() {
    for (size_t i : used_) keys_[i] = kEmpty;
    used_.clear();
    size_ = 0;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // no key: a buffer index in the top byte is small
  size_t slot(uint64_t k) const {
    size_t i = static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
    while (keys_[i] != kEmpty && keys_[i] != k) i = (i + 1) & mask_;
    return i;
  }
  void put(size_t i, uint64_t k, int64_t v) {
    keys_[i] = k, vals_[i] = v;
    used_.push_back(i);
    if (++size_ * 2 > keys_.size()) rehash(keys_.size() * 2);
  }
  void rehash(size_t n) {
    std::vector<uint64_t> keys(n, kEmpty);
    std::vector<int64_t> vals(n);
    keys.swap(keys_), vals.swap(vals_);
    mask_ = n - 1, size_ = 0;
    used_.clear();
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] != kEmpty) put(slot(keys[i]), keys[i], vals[i]);
  }
  std::vector<uint64_t> keys_;
  std::vector<int64_t> vals_;
  std::vector<size_t> used_;  // the slots holding a key
  size_t mask_ = 0, size_ = 0;
};

template <class F>
void each(const Access2D& a, F f) {
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) f(a.addr + i * a.row_stride + j * a.col_stride);
}

// row i of a read, as a read of its own (one row: no row stride)
Access2D row_of(const Access2D& a, int64_t i) {
  Access2D r = a;
  r.addr = a.addr + i * a.row_stride, r.rows = 1, r.row_stride = 0;
  return r;
}

// one row read by the reference: its shape, and where its words start in the
// recording's values
struct ReadRun {
  Access2D a;
  size_t at = 0;
};
bool same_shape(const Access2D& x, const Access2D& y) {
  return x.buffer == y.buffer && x.addr == y.addr && x.rows == y.rows && x.cols == y.cols &&
         x.row_stride == y.row_stride && x.col_stride == y.col_stride;
}

// A unit's writes in the order they came, a row at a time (one array writes
// a block in one access, the other row by row, and in another order): each
// row and its words. Where neither unit's rows meet (no word written twice),
// the memory they leave is the same exactly when the two hold the same rows
// with the same words, in whatever order; only where rows meet, or they
// differ, is the check done word by word.
struct WriteLog {
  struct Run {
    Access2D a;  // one row
    Operand op;
    size_t at;  // where its words start in values
  };
  std::vector<Run> runs;
  std::vector<int64_t> values;
  void clear() { runs.clear(), values.clear(); }
  void add(const Access2D& a, Operand op, const int64_t* data) {
    for (int64_t i = 0; i < a.rows; ++i) runs.push_back({row_of(a, i), op, values.size() + static_cast<size_t>(i * a.cols)});
    values.insert(values.end(), data, data + a.elements());
  }
  // f(buffer, op, address, value) for every word written, in order
  template <class F>
  void each_word(F f) const {
    for (const Run& r : runs) {
      const int64_t* v = values.data() + r.at;
      each(r.a, [&](int64_t at) { f(r.a.buffer, r.op, at, *v++); });
    }
  }
  // the rows by buffer and first address, in `order`; false where two rows
  // meet (or a row's words step back or stand still), so that some word may
  // have been written twice
  bool disjoint(std::vector<uint32_t>& order) const {
    const auto last = [&](const Access2D& a) { return a.addr + (a.cols - 1) * a.col_stride; };
    order.resize(runs.size());
    for (uint32_t i = 0; i < order.size(); ++i) {
      const Access2D& a = runs[i].a;
      if (a.cols > 1 && a.col_stride < 1) return false;
      order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
      const Access2D &a = runs[x].a, &b = runs[y].a;
      return a.buffer != b.buffer ? a.buffer < b.buffer : a.addr < b.addr;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const Access2D &p = runs[order[k - 1]].a, &a = runs[order[k]].a;
      if (a.buffer == p.buffer && a.addr <= last(p)) return false;
    }
    return true;
  }
};

uint64_t shape_hash(const Access2D& a) {
  uint64_t h = static_cast<uint64_t>(a.buffer) + 0x9E3779B97F4A7C15ull;
  for (int64_t v : {a.addr, a.rows, a.cols, a.row_stride, a.col_stride})
    h = (h ^ static_cast<uint64_t>(v)) * 0xBF58476D1CE4E5B9ull, h ^= h >> 31;
  return h == ~uint64_t{0} ? h - 1 : h;  // (~0 marks an empty slot)
}

// forwards to the real memory and remembers every word read and written.
// Reads are kept as runs, one per row read (the first of each): the checked
// array reads the same rows, and takes each whole in one lookup; a row of
// another shape looks its words up one by one, in a map of every word's
// first value built when first needed.
class RecordingPort final : public MemoryPort {
 public:
  explicit RecordingPort(MemoryPort& inner) : inner_(&inner) {}
  // a new unit of work on `inner`: nothing recorded (the room kept)
  void reset(MemoryPort& inner) {
    inner_ = &inner;
    writes_.clear(), runs_.clear(), values_.clear(), run_index_.clear(), words_.clear();
    words_built_ = false;
  }
  void read(const Access2D& a, Operand op, int64_t* data) override {
    inner_->read(a, op, data);
    if (!data) return;
    for (int64_t i = 0; i < a.rows; ++i) {  // a run a row (the array reads rows)
      const Access2D r = row_of(a, i);
      const uint64_t h = shape_hash(r);
      const int64_t* seen = run_index_.find(h);
      if (seen && same_shape(runs_[static_cast<size_t>(*seen)].a, r)) continue;  // (its first values kept)
      if (!seen) run_index_.assign(h, static_cast<int64_t>(runs_.size()));
      runs_.push_back({r, values_.size()});
      values_.insert(values_.end(), data + i * a.cols, data + (i + 1) * a.cols);
      words_built_ = false;
    }
  }
  void write(const Access2D& a, Operand op, const int64_t* data) override {
    inner_->write(a, op, data);
    if (data) writes_.add(a, op, data);
  }
  // the values of a read of exactly this shape, or nullptr
  const int64_t* run(const Access2D& a) const {
    const int64_t* i = run_index_.find(shape_hash(a));
    if (!i) return nullptr;
    const ReadRun& r = runs_[static_cast<size_t>(*i)];
    return same_shape(r.a, a) ? values_.data() + r.at : nullptr;
  }
  // the first value read at each address
  const WordMap& words() const {
    if (!words_built_) {
      for (const ReadRun& r : runs_) {
        const int64_t* v = values_.data() + r.at;
        each(r.a, [&](int64_t at) { words_.emplace(key(r.a.buffer, at), *v++); });
      }
      words_built_ = true;
    }
    return words_;
  }
  WriteLog writes_;

 private:
  MemoryPort* inner_;
  std::vector<ReadRun> runs_;
  std::vector<int64_t> values_;
  WordMap run_index_;  // shape hash -> the first run of that hash
  mutable WordMap words_;
  mutable bool words_built_ = false;
};

// serves the checked array's reads from what the reference read; records its writes
class ReplayPort final : public MemoryPort {
 public:
  ReplayPort(const RecordingPort& rec, bool functional) : rec_(rec), functional_(functional) {}
  void reset() { writes_.clear(), missing_.clear(); }
  void read(const Access2D& a, Operand op, int64_t* data) override {
    if (!data) return;
    for (int64_t i = 0; i < a.rows; ++i) {
      const Access2D r = row_of(a, i);
      if (const int64_t* v = rec_.run(r)) {  // a row the reference read
        data = std::copy(v, v + r.cols, data);
        continue;
      }
      const WordMap& image = rec_.words();
      each(r, [&](int64_t at) {
        const int64_t* v = image.find(key(r.buffer, at));
        if (functional_ && !v && missing_.empty())
          missing_ = fmt::format("rtl read {} word {} of the {} buffer, which tlm never read", to_string(op), at,
                                 to_string(r.buffer));
        *data++ = v ? *v : 0;
      });
    }
  }
  void write(const Access2D& a, Operand op, const int64_t* data) override {
    if (data) writes_.add(a, op, data);
  }
  WriteLog writes_;
  std::string missing_;

 private:
  const RecordingPort& rec_;
  bool functional_;
};

}  // namespace

struct WordReplay::Impl {
  Impl(MemoryPort& real, bool functional) : rec(real), functional(functional) {}
  RecordingPort rec;
  std::unique_ptr<ReplayPort> replay;
  bool functional;
  WordMap mine, theirs;  // the last value each wrote at each address (where the logs differ)
  std::vector<uint32_t> order_mine, order_theirs;  // each log's rows by address
};

WordReplay::WordReplay(MemoryPort& real, bool functional) : impl_(std::make_unique<Impl>(real, functional)) {}
WordReplay::~WordReplay() = default;

void WordReplay::reset(MemoryPort& real) {
  impl_->rec.reset(real);
  if (impl_->replay) impl_->replay->reset();
}

MemoryPort& WordReplay::reference_port() { return impl_->rec; }

MemoryPort& WordReplay::checked_port() {
  if (!impl_->replay) impl_->replay = std::make_unique<ReplayPort>(impl_->rec, impl_->functional);
  return *impl_->replay;
}

void WordReplay::check(int64_t end, CosimStats& stats) const {
  const RecordingPort& rec = impl_->rec;
  const ReplayPort& replay = *impl_->replay;
  if (!replay.missing_.empty()) throw CosimMismatch(end, replay.missing_);
  if (!impl_->functional) return;
  const WriteLog &mw = rec.writes_, &tw = replay.writes_;
  std::vector<uint32_t>&wo = impl_->order_mine, &vo = impl_->order_theirs;
  if (mw.runs.size() == tw.runs.size() && mw.values.size() == tw.values.size() && mw.disjoint(wo) && tw.disjoint(vo)) {
    bool same = true;  // the same rows with the same words: the same memory
    for (size_t k = 0; k < wo.size() && same; ++k) {
      const WriteLog::Run &x = mw.runs[wo[k]], &y = tw.runs[vo[k]];
      same = same_shape(x.a, y.a) && std::equal(mw.values.begin() + x.at, mw.values.begin() + x.at + x.a.cols,
                                                tw.values.begin() + y.at);
    }
    if (same) {
      stats.words_compared += static_cast<int64_t>(mw.values.size());  // (each word written once)
      return;
    }
  }
  // word by word: each address the reference wrote, in its order, against the checked unit's last value there
  WordMap &mine = impl_->mine, &theirs = impl_->theirs;
  mine.clear(), theirs.clear();
  mw.each_word([&](Buffer b, Operand, int64_t at, int64_t v) { mine.assign(key(b, at), v); });
  tw.each_word([&](Buffer b, Operand, int64_t at, int64_t v) { theirs.assign(key(b, at), v); });
  mw.each_word([&](Buffer b, Operand op, int64_t at, int64_t) {
    const uint64_t k = key(b, at);
    const int64_t* t = theirs.find(k);
    const int64_t m = *mine.find(k);
    if (!t)
      throw CosimMismatch(end, fmt::format("tlm wrote {} to word {} of the {} buffer ({}), rtl did not write it",
                                           to_string(op), at, to_string(b), m));
    if (*t != m)
      throw CosimMismatch(end, fmt::format("{} word {} of the {} buffer: tlm wrote {}, rtl wrote {}", to_string(op), at,
                                           to_string(b), m, *t));
  });
  if (theirs.size() != mine.size())
    throw CosimMismatch(end, fmt::format("rtl wrote {} words, tlm {}", theirs.size(), mine.size()));
  stats.words_compared += static_cast<int64_t>(mine.size());
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
