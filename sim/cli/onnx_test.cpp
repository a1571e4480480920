#include "onnx_test.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "config_schema.h"
#include "fixed_point.h"
#include "onnx_loader.h"
#include "op_executor.h"
#include "run.h"
#include "samples.h"
#include "schedule.h"
#include "workload.h"

namespace systrain {

namespace {

namespace fs = std::filesystem;

enum Outcome { kPass = 0, kMismatch = 1, kRefused = 2 };

// the last GEMM layer's forward output, as the array wrote it
class LastOutput final : public StepObserver {
 public:
  LastOutput(const Config& cfg, const Workload& w) : w_(w), layout_(run_layout(cfg, w)) {}
  void before_step(int64_t, const Memory&, const std::vector<uint8_t>& labels) override {
    m_ = static_cast<int64_t>(labels.size());
  }
  void after_op(int64_t, const StepOp& op, const Memory& mem) override {
    const int last = static_cast<int>(w_.layers.size()) - 1;
    if (!op.array || op.stage != Stage::kForward || op.layer != last) return;
    const Mat& y = layout_.y[last];
    const auto& buf = mem.buffer(y.buf);
    const int64_t n = w_.layers[last].n;
    for (int64_t i = 0; i < m_; ++i)
      for (int64_t j = 0; j < n; ++j) values.push_back(w2f(buf[y.at(i, j)]));
  }
  std::vector<float> values;

 private:
  const Workload& w_;
  StepLayout layout_;
  int64_t m_ = 0;
};

std::vector<fs::path> sorted(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) {
    // input_10 after input_9
    const std::string x = a.filename().string(), y = b.filename().string();
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  });
  return out;
}

// one case, in the child process
int run_case(const fs::path& dir, const std::string& name) {
  const fs::path model = dir / "model.onnx";
  const auto sets = sorted(dir, "test_data_set_");
  if (sets.empty()) {
    fmt::print("refused {}: no test_data_set_* folder\n", name);
    return kRefused;
  }
  const fs::path set = sets.front();
  OnnxModel m;
  std::vector<OnnxTensor> inputs;
  OnnxTensor want;
  try {
    const std::vector<std::string> names = onnx_graph_inputs(model.string());
    for (const auto& p : sorted(set, "input_")) inputs.push_back(read_onnx_tensor(p.string()));
    if (inputs.empty() || inputs.size() != names.size())
      throw OnnxError(fmt::format("{}: the graph has {} inputs and the test data {}", model.string(), names.size(),
                                  inputs.size()));
    OnnxOptions o;
    o.wrap = true;
    for (size_t k = 1; k < inputs.size(); ++k) {
      inputs[k].name = names[k];
      o.bound.push_back(inputs[k]);
    }
    const auto outs = sorted(set, "output_");
    if (outs.size() != 1) throw OnnxError(fmt::format("{}: {} outputs; systrain's networks have one", set.string(), outs.size()));
    if (inputs.front().is_int) throw OnnxError(fmt::format("{}: the data input is an integer tensor; systrain takes float32", set.string()));
    m = load_onnx(model.string(), o);
    want = read_onnx_tensor(outs.front().string());
    if (want.is_int) throw OnnxError(fmt::format("{}: the expected output is an integer tensor", set.string()));
  } catch (const OnnxError& e) {
    fmt::print("refused {}: {}\n", name, e.what());
    return kRefused;
  }
  const OnnxTensor& x = inputs.front();
  Config cfg;
  cfg.name = name;
  cfg.network.input_shape = m.input_shape;
  cfg.network.layers = m.layers;
  cfg.network.model_weights = m.weights;
  cfg.accelerator.numerics.kind = NumericsKind::kFloat32;
  cfg.training.dataset = Dataset::kSynthetic;
  cfg.schedule.kind = ScheduleKind::kInference;
  cfg.simulation.backend = Backend::kTlm;
  const int64_t batch = x.dims.empty() ? 0 : x.dims[0];
  cfg.training.batch = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(batch, 1 << 20)));
  cfg.training.test_samples = batch;
  std::vector<ConfigError> errors;
  validate_config(cfg, [&](const std::string&) { return SourceLoc{model.string(), 0, 0}; }, errors);
  if (!errors.empty()) {
    fmt::print("refused {}: {}\n", name, errors.front().str());
    return kRefused;
  }
  const Workload w = build_workload(cfg);
  if (batch < 1 || static_cast<int64_t>(x.data.size()) != batch * w.input_width) {
    fmt::print("refused {}: input_0 of shape [{}] is not a batch of the model's input {}\n", name,
               fmt::join(x.dims, ", "), fmt::join(m.input_shape, "x"));
    return kRefused;
  }
  Samples s;
  s.count = batch, s.width = w.input_width;
  s.x = x.data;
  s.labels.assign(static_cast<size_t>(batch), 0);
  LastOutput out(cfg, w);
  RunResult result;
  const RunOutcome o = run_simulation(cfg, result, false, &out, &s);
  if (o.code != kExitOk) {
    fmt::print("refused {}: {}\n", name, o.message);
    return kRefused;
  }
  std::vector<double> got(out.values.begin(), out.values.end());
  if (!m.final_softmax.empty()) {  // absorbed into systrain's loss: applied here to the logits
    const int64_t n = w.layers.back().n;
    for (int64_t b = 0; b * n < static_cast<int64_t>(got.size()); ++b) {
      double mx = -1e300, sum = 0;
      for (int64_t j = 0; j < n; ++j) mx = std::max(mx, got[b * n + j]);
      for (int64_t j = 0; j < n; ++j) sum += std::exp(got[b * n + j] - mx);
      for (int64_t j = 0; j < n; ++j)
        got[b * n + j] = m.final_softmax == "Softmax" ? std::exp(got[b * n + j] - mx) / sum : got[b * n + j] - mx - std::log(sum);
    }
  }
  if (got.size() != want.data.size()) {
    fmt::print("MISMATCH {}: {} values out, {} expected\n", name, got.size(), want.data.size());
    return kMismatch;
  }
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double wv = want.data[i], err = std::fabs(got[i] - wv);
    if (!(err <= 1e-5 * std::fabs(wv) + 1e-6)) {
      fmt::print("MISMATCH {}: value {} is {} where {} is expected\n", name, i, got[i], wv);
      return kMismatch;
    }
    if (wv != 0) worst = std::max(worst, err / std::fabs(wv));
  }
  fmt::print("pass {} ({} values, max relative error {:.2g}{})\n", name, got.size(), worst,
             m.wrapped_in || m.wrapped_out ? ", behind identity layers" : "");
  return kPass;
}

}  // namespace

int run_onnx_tests(const std::vector<std::string>& dirs) {
  int pass = 0, refused = 0, mismatch = 0, crash = 0;
  for (const std::string& d : dirs) {
    const fs::path dir(d);
    // the case as its suite names it: its folder and the folder above (node/test_gemm_alpha)
    const fs::path clean = dir.filename().empty() ? dir.parent_path() : dir;
    const std::string name = (clean.parent_path().filename() / clean.filename()).string();
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid < 0) {
      fmt::print(stderr, "onnx-test: cannot fork: {}\n", std::strerror(errno));
      return 1;
    }
    if (pid == 0) {
      ::alarm(300);  // a case that hangs is a failure, not a hung suite
      int rc = kRefused;
      try {
        rc = run_case(dir, name);
      } catch (const std::exception& e) {
        fmt::print("refused {}: {}\n", name, e.what());
      }
      std::fflush(stdout);
      ::_exit(rc);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      fmt::print("CRASH {}: signal {} ({})\n", name, WTERMSIG(status), strsignal(WTERMSIG(status)));
      ++crash;
    } else if (WEXITSTATUS(status) == kPass) {
      ++pass;
    } else if (WEXITSTATUS(status) == kRefused) {
      ++refused;
    } else {
      ++mismatch;
    }
  }
  fmt::print("onnx-test: {} cases: {} passed, {} refused with a located error, {} mismatched, {} crashed\n",
             dirs.size(), pass, refused, mismatch, crash);
  return mismatch || crash ? 1 : 0;
}

}  // namespace systrain
