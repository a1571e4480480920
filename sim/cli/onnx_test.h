// `systrain onnx-test DIR...`: runs ONNX backend test cases (a folder with
// model.onnx and test_data_set_*/input_K.pb, output_0.pb, as Debian's
// libonnx-testdata ships them) through systrain: the model is imported
// (network.onnx's importer; inputs after the first bound as constants), its
// forward pass runs in float32 on the TLM backend (run_simulation, in a child
// process per case: SystemC runs once a process), and the outputs are
// compared with the expected ones, |got - want| <= 1e-5·|want| + 1e-6
// (a final Softmax/LogSoftmax, which systrain absorbs into its loss, is
// applied to the logits on the host). Prints one line per case:
//   pass NAME (N values, max relative error E[, behind identity layers])
//   refused NAME: the importer's located error
//   MISMATCH NAME: where and by how much
//   CRASH NAME: the signal
// and a summary; exits 1 on a mismatch or a crash, else 0.
#pragma once
#include <string>
#include <vector>

namespace systrain {

int run_onnx_tests(const std::vector<std::string>& dirs);

}  // namespace systrain
