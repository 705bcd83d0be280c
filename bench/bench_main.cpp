// The entry point of slp's benchmark binaries: Google Benchmark's main, plus
// the build facts a reader of the JSON needs to compare two runs: how the
// switch resumes (ret, or pop + jmp) and which baselines were built.
#include <benchmark/benchmark.h>

#include <cstdio>

#ifndef SLP_BENCH_BOOST_CONTEXT
#define SLP_BENCH_BOOST_CONTEXT 0
#endif
#ifndef SLP_BENCH_RESUME_BY_JMP
#define SLP_BENCH_RESUME_BY_JMP 0
#endif
#if SLP_BENCH_BOOST_CONTEXT
#include <boost/version.hpp>
#endif

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("slp_resume",
                              SLP_BENCH_RESUME_BY_JMP ? "pop+jmp" : "ret");
#if SLP_BENCH_BOOST_CONTEXT
  benchmark::AddCustomContext("boost_context", BOOST_LIB_VERSION);
#else
  benchmark::AddCustomContext("boost_context", "missing at build time");
  std::fprintf(stderr,
               "%s: Boost.Context was missing at build time: the BM_Boost* "
               "baselines report an error instead of a figure\n",
               argv[0]);
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
