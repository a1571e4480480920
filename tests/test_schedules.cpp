// A schedule is pure C++ and runs on any executor: here the speculative
// schedule runs on PlainExecutor, which gives the model's executor time as a
// plain number and runs tiles on the TLM array (no SystemC). Output
// speculation verifying per sample: a batch with hits and misses recomputes
// only its misses, their rows packed, with counts in closed form.
#include <doctest/doctest.h>

#include <map>
#include <memory>

#include "array_model.h"
#include "dataset.h"
#include "speculation.h"
#include "trainer.h"
#include "yaml_loader.h"

using namespace systrain;

namespace {

class PlainExecutor final : public OpExecutor {
 public:
  PlainExecutor(RunContext& ctx, std::vector<EngineSetup> engines, StepObserver* observer)
      : OpExecutor(ctx, engines, observer) {
    for (const EngineSetup& e : engines)
      arrays_.push_back(std::make_unique<TlmArray>(e.shape, ctx.num, ctx.functional(), ctx.lr()));
  }

 protected:
  const TileRun& backend_tile(int e, const Tile& t) override {
    run_ = arrays_[e]->run(t, memory(e), now(e), false);
    return run_;
  }
  bool backend_tiles(int, const PassTiming&) override { return true; }
  void backend_vector(int, int64_t) override {}
  void backend_idle(int, int64_t) override {}
  void backend_hold(int, int64_t) override {}
  // one engine's work after the other's: each keeps its own cycle, and the
  // data the two touch in a section is disjoint
  void backend_parallel(const std::function<void()>& a, const std::function<void()>& b) override { a(), b(); }
  void backend_sync(int64_t) override {}

 private:
  std::vector<std::unique_ptr<TlmArray>> arrays_;
  TileRun run_;
};

// what each step did: its misses (read from the verify op's decisions) and
// the rows of each recomputing op
struct Recorder final : StepObserver {
  struct Step {
    int64_t m = 0;
    std::vector<int64_t> misses;
    std::vector<std::pair<std::string, int64_t>> ops;  // name, rows (array: GEMM M; vector: m)
  };
  std::map<int64_t, Step> steps;
  void before_step(int64_t, const Memory&, const std::vector<uint8_t>&) override {}
  void after_op(int64_t step, const StepOp& op, const Memory&) override {
    Step& s = steps[step];
    if (!op.array && op.vector == VectorKind::kVerify) s.m = op.spec->state->m, s.misses = op.spec->state->misses;
    s.ops.emplace_back(op.name(), op.array ? op.pass.g.m : op.m);
  }
};

const char* kMlp = R"(
schema_version: 1
accelerator: {array: {rows: 4, cols: 4}}
network:
  input_shape: [6]
  layers:
    - {type: dense, units: 5, activation: relu}
    - {type: dense, units: 4, activation: relu}
    - {type: dense, units: 3}
training: {dataset: synthetic, train_samples: 64, test_samples: 8, batch: 8, epochs: 1}
schedule:
  kind: speculative
  speculation: {policy: output_speculation, engines: split, assumed_hit_rate: 0.5}
simulation: {functional: false}
)";

}  // namespace

TEST_CASE("output speculation verifying per sample recomputes only the misses, packed, in closed form") {
  const LoadedConfig lc = load_config_text(kMlp, "<test>", {});
  REQUIRE(lc.ok());
  const Config& cfg = lc.config;
  const Workload w = build_workload(cfg);
  RunResult result;
  result.training = true;
  RunContext ctx(cfg, w, result);
  ArrayShape shape = array_shape(cfg), fwd = shape, bwd = shape;
  fwd.cols = cfg.forward_cols(), bwd.cols = shape.cols - fwd.cols;
  Memory m0(shape.words_per_psum, false), m1(shape.words_per_psum, false);
  Samples train;
  train.count = 64, train.width = 6;
  for (int64_t i = 0; i < train.count; ++i) train.labels.push_back(static_cast<uint8_t>(i % 3));
  Samples test = train;
  Recorder rec;
  PlainExecutor ex(ctx, {{&m0, fwd}, {&m1, bwd}}, &rec);
  const auto schedule = make_schedule(ctx);
  CHECK(schedule->engines() == 2);
  Trainer(ctx, ex, *schedule, train, test, false).run();

  // the closed forms of this 6-5-4-3 network, per miss: gather moves the
  // last layer's dY row (3) and the ReLU outputs the masks read (5 + 4);
  // scatter the recomputed dY rows of the hidden layers (5 + 4); the
  // recomputed AG passes make 5·4 + 4·3 MACs
  int64_t mixed = 0, packed_misses = 0, all_missed = 0, recomputed = 0, misses = 0;
  for (const auto& [step, s] : rec.steps) {
    CAPTURE(step);
    const int64_t mm = static_cast<int64_t>(s.misses.size());
    misses += mm;
    std::vector<int64_t> ag_rows, spec_ag_rows;
    bool gather = false, scatter = false;
    for (const auto& [name, rows] : s.ops) {
      if (name == "ag") ag_rows.push_back(rows);
      if (name == "spec_ag") spec_ag_rows.push_back(rows);
      if (name == "gather") {
        gather = true;
        CHECK(rows == mm);
      }
      if (name == "scatter") {
        scatter = true;
        CHECK(rows == mm);
      }
    }
    CHECK(spec_ag_rows == std::vector<int64_t>{s.m, s.m});  // the speculative chain covers the batch
    if (mm == 0) {
      CHECK(ag_rows.empty());
    } else {
      CHECK(ag_rows == std::vector<int64_t>{mm, mm});  // only the misses, packed
      recomputed += mm;
    }
    CHECK(gather == (mm > 0 && mm < s.m));
    CHECK(scatter == gather);
    if (gather) ++mixed, packed_misses += mm;
    if (mm == s.m) ++all_missed;
  }
  CHECK(mixed > 0);  // batches with both hits and misses happened
  CHECK(result.spec.misses == misses);
  CHECK(result.spec.hits == 64 - misses);
  auto op = [&](const std::string& name) {  // summed over the layers
    OpStats sum;
    for (const OpStats& o : result.ops)
      if (o.op == name) sum.macs += o.macs, sum.sram += o.sram;
    return sum;
  };
  CHECK(op("gather").sram.total_reads() == packed_misses * (3 + 5 + 4));
  CHECK(op("gather").sram.total_writes() == packed_misses * (3 + 5 + 4));
  CHECK(op("scatter").sram.total_reads() == packed_misses * (5 + 4));
  CHECK(op("scatter").sram.total_writes() == packed_misses * (5 + 4));
  CHECK(op("ag").macs == recomputed * (5 * 4 + 4 * 3));
  CHECK(op("spec_ag").macs == 64 * (5 * 4 + 4 * 3));
  // verify writes the true error rows of the misses in place
  CHECK(op("verify").sram.operand_writes(Operand::kDy) == misses * 3);
}
