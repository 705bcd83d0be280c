// SPDX-License-Identifier: MIT
// Misuse that must not compile (API.md §2.1; SB 20, whose TypeError
// "not callable" is a compile error in C++). tests/CMakeLists.txt compiles
// this file once per case with -DSLP_COMPILE_FAIL_CASE=n and expects the
// diagnostic it names there; case 0, the same calls well formed, must
// compile, so a broken command line cannot pass for a refusal.
#include <string>

#include "slp/tasklet.hpp"

namespace {
void takes_int(int) {}
}  // namespace

int main() {
  slp::tasklet t;
#if SLP_COMPILE_FAIL_CASE == 0
  slp::tasklet bound{takes_int};
  t.bind([] {});
  t.bind(takes_int, 1);
#elif SLP_COMPILE_FAIL_CASE == 1
  slp::tasklet bound{42};  // not a function
#elif SLP_COMPILE_FAIL_CASE == 2
  t.bind(3.5);  // not a function
#elif SLP_COMPILE_FAIL_CASE == 3
  t.bind(takes_int, std::string("one"));  // arguments it cannot take
#endif
}
