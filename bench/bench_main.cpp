// SPDX-License-Identifier: MIT
// The entry point of slp's benchmark binaries: Google Benchmark's main, plus
// the build facts a reader of the JSON needs to compare two runs (which
// baselines were built) and slp's own flag:
//   --slp_max_tasklets=N   the most tasklets one benchmark may create
//                          (default 1000000); larger cases say "not run".
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/bench_support.hpp"

#if SLP_BENCH_BOOST_CONTEXT || SLP_BENCH_BOOST_FIBER
#include <boost/version.hpp>
#endif

namespace {

// take_slp_flags: removes --slp_* flags from argv (Google Benchmark rejects
// flags it does not know); false on a malformed one.
bool take_slp_flags(int* argc, char** argv) {
  static constexpr const char prefix[] = "--slp_max_tasklets=";
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp(argv[i], prefix, sizeof prefix - 1) == 0) {
      const char* digits = argv[i] + sizeof prefix - 1;
      char* end = nullptr;
      const unsigned long long n = std::strtoull(digits, &end, 10);
      if (*digits == '\0' || *end != '\0' || n == 0) {
        std::fprintf(stderr, "%s: %s wants a positive number\n", argv[0],
                     argv[i]);
        return false;
      }
      slp::bench::max_tasklets = static_cast<std::size_t>(n);
      continue;
    }
    if (std::strncmp(argv[i], "--slp_", 6) == 0) {
      std::fprintf(stderr,
                   "%s: unknown flag %s (slp's: --slp_max_tasklets=N)\n",
                   argv[0], argv[i]);
      return false;
    }
    argv[kept++] = argv[i];
  }
  *argc = kept;
  argv[kept] = nullptr;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (!take_slp_flags(&argc, argv)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::AddCustomContext("slp_max_tasklets",
                              std::to_string(slp::bench::max_tasklets));
#if SLP_BENCH_BOOST_CONTEXT
  benchmark::AddCustomContext("boost_context", BOOST_LIB_VERSION);
#else
  benchmark::AddCustomContext("boost_context", "missing at build time");
#endif
#if SLP_BENCH_BOOST_FIBER
  benchmark::AddCustomContext("boost_fiber", BOOST_LIB_VERSION);
#else
  benchmark::AddCustomContext("boost_fiber", "missing at build time");
#endif
#if !SLP_BENCH_BOOST_CONTEXT || !SLP_BENCH_BOOST_FIBER
  std::fprintf(stderr,
               "%s: Boost.Context or Boost.Fiber was missing at build time: "
               "the baselines that need them report \"missing\" instead of a "
               "figure\n",
               argv[0]);
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
