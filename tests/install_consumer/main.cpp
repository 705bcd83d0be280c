// Uses the installed slp through its public headers only: a producer
// tasklet sends over a channel, main receives, and a misuse is reported.
#include <cstdio>
#include <slp/slp.hpp>
#include <vector>

int main() {
  slp::channel<int> numbers;
  slp::tasklet producer{[numbers]() mutable {
    numbers.send_sequence(std::vector<int>{1, 2, 3});
    numbers.send_exception<slp::stop_iteration>();
  }};
  producer();
  int sum = 0;
  for (int n : numbers) sum += n;
  try {
    slp::config cfg;
    cfg.stack_count = 0;
    slp::configure(cfg);
    return 1;
  } catch (const slp::error& e) {
    std::printf("install consumer: sum %d; slp::error as documented: %s\n", sum,
                e.what());
  }
  return sum == 6 ? 0 : 1;
}
