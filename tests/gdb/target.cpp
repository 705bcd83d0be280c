// SPDX-License-Identifier: MIT
// The program tests/gdb/check.py runs under gdb: tasklets parked in known
// functions, one resident and two evicted (one execution stack), one
// runnable, then a stop in slp_gdb_stop_here, where the check lists and
// walks them with tools/gdb/slp.py.
#include <cstdio>

#include "slp/slp.hpp"

extern "C" [[gnu::noinline]] void slp_gdb_stop_here() { asm volatile(""); }

namespace gdb_probe {

volatile int sink = 0;

[[gnu::noipa]] int wait_in_leaf(slp::channel<int>& c) {
  const int v = c.receive();
  sink = sink + v;
  return v + 1;
}

[[gnu::noipa]] int descend(int depth, slp::channel<int>& c) {
  const int r = depth == 0 ? wait_in_leaf(c) : descend(depth - 1, c);
  sink = sink + r;
  return r + 1;
}

[[gnu::noipa]] int send_from_here(slp::channel<int>& c) {
  c.send(7);
  sink = sink + 1;
  return sink;
}

}  // namespace gdb_probe

int main() {
  slp::config cfg;
  cfg.stack_count = 1;  // each tasklet that parks evicts the one before
  slp::configure(cfg);
  slp::channel<int> a_in;
  slp::channel<int> b_out;
  slp::channel<int> c_in;
  slp::tasklet a{[&] { gdb_probe::descend(3, a_in); }};
  a.set_name("deep");
  slp::tasklet b{[&] { gdb_probe::send_from_here(b_out); }};
  b.set_name("sender");
  slp::tasklet c{[&] { gdb_probe::descend(1, c_in); }};
  c.set_name("shallow");
  a();
  b();
  c();
  slp::run();  // all three park; c stays resident
  slp::tasklet r{[] {}};
  r.set_name("ready");
  r();
  std::printf("evicted %zu %zu, resident %zu\n", a.stack_bytes(),
              b.stack_bytes(), c.stack_bytes());
  slp_gdb_stop_here();
  a_in.send(1);
  b_out.receive();
  c_in.send(1);
  slp::run();
  return 0;
}
