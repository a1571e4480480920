#include "tensor_dump.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "fixed_point.h"

namespace systrain {

void write_npy(const std::string& path, const void* data, size_t bytes, const std::string& descr,
               const std::vector<int64_t>& shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += fmt::format("{}{}", i ? ", " : "", shape[i]);
  if (shape.size() == 1) dims += ",";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, dims);
  // magic (6) + version (2) + length (2) + header + '\n', padded to 64 bytes
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  const std::string tmp = fmt::format("{}.tmp{}", path, ::getpid());
  // a failure names the errno text (a full disk: "No space left on device");
  // the run then ends, and the step being written is removed (cut_short)
  auto fail = [&](int err) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error(fmt::format("simulation.dump_tensors: cannot write {}: {}", path, std::strerror(err)));
  };
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(errno);
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(header.size() & 0xff),
                                 static_cast<unsigned char>(header.size() >> 8)};
  bool ok = std::fwrite(pre, 1, 10, f) == 10 && std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            std::fwrite(data, 1, bytes, f) == bytes && std::fflush(f) == 0;
  int err = ok ? 0 : errno;
  if (std::fclose(f) != 0 && ok) ok = false, err = errno;
  if (!ok) fail(err ? err : EIO);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail(ec.value());
}

TensorDump::TensorDump(const Config& cfg, const Workload& w)
    : cfg_(cfg), w_(w), layout_(run_layout(cfg, w)), sn_(step_numerics(cfg)),
      root_(cfg.simulation.dump_tensors) {}

std::string TensorDump::dir(int64_t step, int layer) const {
  std::string d = layer < 0 ? fmt::format("{}/step_{}", root_, step) : fmt::format("{}/step_{}/layer_{}", root_, step, layer);
  std::error_code ec;
  std::filesystem::create_directories(d, ec);
  if (ec) throw std::runtime_error(fmt::format("simulation.dump_tensors: cannot create {}: {}", d, ec.message()));
  return d;
}

std::vector<float> TensorDump::real(const Memory& mem, const Mat& m, int64_t rows, int64_t cols, int frac) const {
  const auto& buf = mem.buffer(m.buf);
  std::vector<float> v(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t word = buf[m.at(i, j)];
      v[i * cols + j] = cfg_.is_float() ? w2f(word) : static_cast<float>(to_real(word, frac));
    }
  return v;
}

std::vector<float> TensorDump::image(const Memory& mem, const Mat& m, const ImageShape& s, int frac) const {
  // NHWC rows (b, h, w) × lanes c  ->  [B, C, H, W]
  const std::vector<float> v = real(mem, m, m_ * s.pixels(), s.c, frac);
  std::vector<float> out(v.size());
  for (int64_t b = 0; b < m_; ++b)
    for (int64_t px = 0; px < s.pixels(); ++px)
      for (int64_t c = 0; c < s.c; ++c) out[(b * s.c + c) * s.pixels() + px] = v[(b * s.pixels() + px) * s.c + c];
  return out;
}

void TensorDump::write(const std::string& path, const std::vector<float>& v, int64_t rows, int64_t cols) const {
  write_npy(path, v.data(), v.size() * sizeof(float), "<f4", {rows, cols});
}

void TensorDump::write_image(const std::string& path, const std::vector<float>& v, const ImageShape& s) const {
  write_npy(path, v.data(), v.size() * sizeof(float), "<f4", {m_, s.c, s.h, s.w});
}

std::string TensorDump::cut_short() {
  if (last_step_ < 0) return fmt::format("simulation.dump_tensors: {} holds no step", root_);
  std::error_code ec;
  std::filesystem::remove_all(fmt::format("{}/step_{}", root_, last_step_), ec);
  return last_step_ == 0 ? fmt::format("simulation.dump_tensors: {} holds no step (step 0, cut short, was removed)", root_)
                         : fmt::format("simulation.dump_tensors: {} holds steps 0 to {} (step {}, cut short, was removed)",
                                       root_, last_step_ - 1, last_step_);
}

void TensorDump::before_step(int64_t step, const Memory& mem, const std::vector<uint8_t>& labels) {
  last_step_ = step;
  m_ = static_cast<int64_t>(labels.size());
  std::vector<int64_t> l(labels.begin(), labels.end());
  write_npy(dir(step, -1) + "/labels.npy", l.data(), l.size() * 8, "<i8", {m_});
  w_before_.clear();
  for (size_t i = 0; i < w_.layers.size(); ++i) {
    const auto& p = w_.layers[i];
    w_before_.push_back(real(mem, layout_.w[i], p.kw(), p.n, cfg_.accelerator.numerics.weight_frac()));
  }
}

void TensorDump::after_op(int64_t step, const StepOp& op, const Memory& mem) {
  const auto& nu = cfg_.accelerator.numerics;
  const int i = op.layer;
  const auto& p = w_.layers[i];
  // a maxpool or flatten layer of the config: its input and output (forward),
  // the gradients at its output and its input (backward), in its own folder
  if (!op.array && (op.vector == VectorKind::kPool || op.vector == VectorKind::kFlatten ||
                    op.vector == VectorKind::kUnpool || op.vector == VectorKind::kSpecUnpool ||
                    op.vector == VectorKind::kUnflatten)) {
    const Prep& pr = p.prep[op.sub];
    const PrepLayout& pl = layout_.prep[i];
    const std::string d = dir(step, pr.config_layer);
    const bool forward = op.vector == VectorKind::kPool || op.vector == VectorKind::kFlatten;
    const int frac = forward ? nu.activation_frac() : nu.error_frac();
    const Mat& in = forward ? pl.in[op.sub] : pl.din[op.sub];
    const Mat& out = forward ? pl.out[op.sub] : pl.dout[op.sub];
    write_image(d + (forward ? "/x.npy" : "/dx.npy"), image(mem, in, pr.in, frac), pr.in);
    if (pr.kind == PrepKind::kFlatten)  // [B, C·H·W], PyTorch's order
      write(d + (forward ? "/y.npy" : "/dy.npy"), real(mem, out, m_, pr.out.c, frac), m_, pr.out.c);
    else
      write_image(d + (forward ? "/y.npy" : "/dy.npy"), image(mem, out, pr.out, frac), pr.out);
    return;
  }
  // the conv or dense layer, in the folder of its place in the config
  const std::string d = dir(step, p.config_layer);
  // a conv layer's input is the image its im2col stage reads
  const Prep* im2col = p.conv ? &p.prep.back() : nullptr;
  auto split_w = [&](const std::vector<float>& wv, const std::string& wname, const std::string& bname) {
    if (im2col) {  // [K, N] with K = (c, i, j) -> PyTorch's [F, C, kh, kw]; the bias [F]
      std::vector<float> t(p.k * p.n);
      for (int64_t r = 0; r < p.k; ++r)
        for (int64_t f = 0; f < p.n; ++f) t[f * p.k + r] = wv[r * p.n + f];
      write_npy(d + "/" + wname + ".npy", t.data(), t.size() * sizeof(float), "<f4",
                {p.n, im2col->in.c, im2col->kernel, im2col->kernel_w});
      if (p.bias) write_npy(d + "/" + bname + ".npy", wv.data() + p.k * p.n, p.n * sizeof(float), "<f4", {p.n});
      return;
    }
    write(d + "/" + wname + ".npy", std::vector<float>(wv.begin(), wv.begin() + p.k * p.n), p.k, p.n);
    if (p.bias) write(d + "/" + bname + ".npy", std::vector<float>(wv.begin() + p.k * p.n, wv.end()), 1, p.n);
  };
  const std::string name = op.name();
  if (op.array && op.stage == Stage::kForward) {
    if (im2col) {
      const auto& pl = layout_.prep[i];
      write_image(d + "/x.npy", image(mem, pl.in.back(), im2col->in, nu.activation_frac()), im2col->in);
      write_image(d + "/y.npy", image(mem, layout_.y[i], p.out_shape, nu.activation_frac()), p.out_shape);
    } else {
      write(d + "/x.npy", real(mem, layout_.x[i], m_, p.k, nu.activation_frac()), m_, p.k);
      write(d + "/y.npy", real(mem, layout_.y[i], m_, p.n, nu.activation_frac()), m_, p.n);
    }
    return;
  }
  // dx: the gradient at the layer's input (a conv's after col2im)
  if (im2col && i > 0 && name == "col2im" && op.sub + 1 == static_cast<int>(p.prep.size()))
    write_image(d + "/dx.npy", image(mem, layout_.prep[i].din.back(), im2col->in, nu.error_frac()), im2col->in);
  if (!im2col && (name == "ag" || (name == "il" && i > 0)))
    write(d + "/dx.npy", real(mem, layout_.dx[i], m_, p.k, nu.error_frac()), m_, p.k);
  if (name == "wg" || name == "il") {
    if (im2col) write_image(d + "/dy.npy", image(mem, layout_.dy[i], p.out_shape, nu.error_frac()), p.out_shape);
    else write(d + "/dy.npy", real(mem, layout_.dy[i], m_, p.n, nu.error_frac()), m_, p.n);
    std::vector<float> dw;
    if (name == "wg") {
      Mat dwm = layout_.dw;
      dwm.rs = p.n;
      dw = real(mem, dwm, p.kw(), p.n, nu.gradient_frac());
    } else {  // recompute G = Xᵀ·dY with the array's arithmetic (its sums run over the GEMM rows in order)
      const auto& act = mem.buffer(Buffer::kActivations);
      const auto& grad = mem.buffer(Buffer::kGradients);
      dw.resize(p.kw() * p.n);
      for (int64_t r = 0; r < p.kw(); ++r)
        for (int64_t c = 0; c < p.n; ++c) {
          uint64_t gi = 0;
          float gf = 0;
          for (int64_t j = 0; j < p.gemm_rows(m_); ++j) {
            const int64_t xv = act[layout_.x[i].at(j, r)], ev = grad[layout_.dy[i].at(j, c)];
            if (cfg_.is_float()) gf += w2f(xv) * w2f(ev);
            else gi += static_cast<uint64_t>(xv) * static_cast<uint64_t>(ev);
          }
          dw[r * p.n + c] = cfg_.is_float() ? gf
                                            : static_cast<float>(to_real(
                                                  requant(wrap(static_cast<int64_t>(gi), nu.acc_bits), sn_.wg_shift,
                                                          nu.data_bits, false),
                                                  nu.gradient_frac()));
        }
    }
    split_w(dw, "dw", "db");
  }
  if (name == "update" || name == "il") {
    split_w(w_before_[i], "w_before", "b_before");
    split_w(real(mem, layout_.w[i], p.kw(), p.n, nu.weight_frac()), "w_after", "b_after");
  }
}

}  // namespace systrain
