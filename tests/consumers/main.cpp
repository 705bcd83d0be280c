// SPDX-License-Identifier: MIT
// The program every consumer of slp builds (tests/consumers/*, and the
// pkg-config and Debian package checks of ci/test.sh), through slp's public
// headers only: a producer tasklet sends over a channel, main receives, and
// a misuse is refused with slp::error. It prints what it saw, and exits
// non-zero when that differs from what slp promises.
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
  std::vector<int> received;
  for (int n : numbers) received.push_back(n);

  bool refused = false;
  try {
    slp::config cfg;
    cfg.stack_count = 0;
    slp::configure(cfg);
  } catch (const slp::error&) {
    refused = true;
  }

  std::printf("slp %s: received", slp::version());
  for (int n : received) std::printf(" %d", n);
  std::printf("; stack_count 0 %s\n", refused ? "refused" : "accepted");
  return received == std::vector<int>{1, 2, 3} && refused ? 0 : 1;
}
