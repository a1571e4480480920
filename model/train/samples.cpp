#include "samples.h"

namespace systrain {

std::atomic<bool> g_interrupted{false};

}  // namespace systrain
