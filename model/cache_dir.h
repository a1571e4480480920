// Where systrain keeps what it caches for a user (the Verilated models, the
// decompressed data sets): $ENV if set, else $XDG_CACHE_HOME/systrain/SUB,
// else ~/.cache/systrain/SUB; "" when none of them is set.
#pragma once
#include <cstdlib>
#include <string>

namespace systrain {

inline std::string user_cache_dir(const char* env, const std::string& sub) {
  if (const char* d = std::getenv(env); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/systrain/" + sub;
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/systrain/" + sub;
  return "";
}

}  // namespace systrain
