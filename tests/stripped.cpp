// SPDX-License-Identifier: MIT
// A tasklet's backtrace in a binary with and without its symbol table
// (tests/CMakeLists.txt runs this program as built and as stripped): the
// frames are found either way, and a stripped binary gives empty names
// for them, never a failure. Prints "frames N, named M".
#include <cstdio>
#include <vector>

#include "slp/slp.hpp"

namespace stripped_probe {

volatile int sink = 0;

[[gnu::noipa]] int descend(int n, slp::channel<int>& c) {
  const int r = n == 0 ? c.receive() : descend(n - 1, c);
  sink = sink + r;
  return r + 1;
}

}  // namespace stripped_probe

int main() {
  slp::channel<int> c;
  slp::tasklet t{[&] { stripped_probe::descend(3, c); }};
  t();
  slp::run();
  const std::vector<slp::frame> frames = t.backtrace();
  std::size_t named = 0;
  for (const slp::frame& f : frames) {
    if (!f.function.empty()) ++named;
    std::printf("%p %s\n", f.address, f.function.c_str());
  }
  std::printf("frames %zu, named %zu\n", frames.size(), named);
  c.send(1);
  return frames.size() >= 8 ? 0 : 1;
}
