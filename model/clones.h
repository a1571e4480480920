// SYSTRAIN_CLONES: a function compiled three times (x86-64-v4: AVX-512 with
// BW/DQ/VL; AVX2; the baseline) and the one this CPU runs chosen when the
// program loads (GCC's target_clones). The hot loops that the compiler
// vectorises carry it; the results do not depend on the clone (no FMA:
// -ffp-contract=off). Elsewhere (clang, other CPUs) the baseline only.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SYSTRAIN_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define SYSTRAIN_CLONES
#endif
