// SPDX-License-Identifier: MIT
// C functions as tasklet bodies, and a kill carried through their C frames.
//
// A C tasklet runs its C function inside run_c_function(). When
// slp::tasklet_exit arrives in an slp call made from that function, the
// call returns -1 (kind SLP_E_KILLED) instead of unwinding through the C
// frames, and the tasklet is marked killed: its further switching calls
// fail at once, and when the function returns, run_c_function() throws
// tasklet_exit again from C++ frames only, so the tasklet ends as killed.
#ifndef SLP_BINDINGS_C_C_FUNCTIONS_HPP
#define SLP_BINDINGS_C_C_FUNCTIONS_HPP

#include "slp/slp.h"

namespace slp::c_binding {

// run_c_function: calls fn(arg) as the body of the current tasklet.
void run_c_function(slp_function fn, void* arg);

// c_body: the C++ tasklet function that runs `fn` with its argument.
inline auto c_body(slp_function fn) {
  return [fn](void* arg) { run_c_function(fn, arg); };
}

// mark_killed: tasklet_exit reached a C API call of the current tasklet;
// if it runs a C function, it is now killed.
void mark_killed() noexcept;

// check_not_killed: a call of a killed C tasklet that could switch fails
// at once, as if the kill had arrived again.
void check_not_killed();

}  // namespace slp::c_binding

#endif  // SLP_BINDINGS_C_C_FUNCTIONS_HPP
