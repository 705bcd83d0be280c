// SPDX-License-Identifier: MIT
// The concurrent prime sieve: a generator tasklet sends 2, 3, 4, ... down a
// channel; each prime found gets a filter tasklet that drops its multiples
// and passes the rest on to the next channel. One tasklet per prime, every
// number handed from tasklet to tasklet through channels.
//
//   $ ./prime_sieve 20
//   2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71
#include <cstdio>
#include <cstdlib>
#include <slp/slp.hpp>

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 20;

  slp::channel<int> numbers;
  slp::tasklet{[numbers]() mutable {
    for (int n = 2;; ++n) numbers.send(n);
  }}();

  slp::channel<int> in = numbers;
  for (int i = 0; i < count; ++i) {
    const int prime = in.receive();
    std::printf("%s%d", i == 0 ? "" : " ", prime);
    slp::channel<int> out;
    slp::tasklet{[in, out, prime]() mutable {
      for (;;) {
        const int n = in.receive();
        if (n % prime != 0) out.send(n);
      }
    }}();
    in = out;
  }
  std::printf("\n");
  // The generator and the filters are blocked forever; when main ends,
  // slp kills them and their stacks unwind.
  return 0;
}
