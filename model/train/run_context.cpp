#include "run_context.h"

namespace systrain {

Numerics numerics_of(const Config& cfg) {
  const auto& nu = cfg.accelerator.numerics;
  return {nu.data_bits, nu.frac_bits, nu.acc_bits, cfg.is_float(),
          nu.activation_frac(), nu.weight_frac(), nu.error_frac(), nu.gradient_frac()};
}

RunContext::RunContext(const Config& c, const Workload& wl, RunResult& r)
    : cfg(c), w(wl), result(r), num(numerics_of(c)), sn(step_numerics(c)), layout(run_layout(c, wl)), dram(c, wl) {}

}  // namespace systrain
