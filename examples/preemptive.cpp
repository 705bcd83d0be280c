// SPDX-License-Identifier: MIT
// A preemptive round-robin scheduler: busy tasklets never yield, they only
// call slp::tick(). The loop below runs them under a watchdog with a budget
// of 1000 ticks; each interrupted tasklet comes back from slp::run() paused
// and is put at the end of the line again, until all are done.
//
//   $ ./preemptive
//   worker 0 done after 4000 ticks
//   ...
//   3 workers, 9 interrupts, sums 7998000 7998000 7998000
#include <cstdio>
#include <slp/slp.hpp>
#include <vector>

int main() {
  constexpr int workers = 3;
  constexpr long work = 4000;
  std::vector<long> sums(workers, 0);
  for (int w = 0; w < workers; ++w) {
    slp::tasklet{[&sums, w] {
      for (long i = 0; i < work; ++i) {
        sums[static_cast<std::size_t>(w)] += i;  // "busy": no schedule()
        slp::tick();                             // a preemption point
      }
      std::printf("worker %d done after %ld ticks\n", w, work);
    }}();
  }

  slp::run_options options;
  options.timeout = 1000;  // ticks without switching before an interrupt
  int interrupts = 0;
  while (slp::run_count() > 1) {
    if (std::optional<slp::tasklet> victim = slp::run(options)) {
      ++interrupts;
      victim->insert();  // back to the end of the line
    }
  }
  std::printf("%d workers, %d interrupts, sums", workers, interrupts);
  for (long s : sums) std::printf(" %ld", s);
  std::printf("\n");
}
