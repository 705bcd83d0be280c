// SPDX-License-Identifier: MIT
// Runs a program of the operation language under slp (issue 9): each body
// is interpreted inside a real slp::tasklet, every body and every
// operation under a different number of extra stack frames (each with a
// buffer checked on the way out), on a thread configured with one or two
// execution stacks, so that switches copy slices of varying sizes.
//
// Example:
//   slp_model::trace actual = slp_model::run_under_slp(program);
#ifndef SLP_TESTS_MODEL_SLP_RUNNER_HPP
#define SLP_TESTS_MODEL_SLP_RUNNER_HPP

#include "program.hpp"
#include "trace.hpp"

namespace slp_model {

// run_under_slp: runs `p` in a new thread (slp::configure needs a thread
// whose tasklets have not started; a program's deadlocks need the only
// scheduler of the process to be its own) and returns its trace. The
// calling thread must not use slp itself.
[[nodiscard]] trace run_under_slp(const program& p);

}  // namespace slp_model

#endif  // SLP_TESTS_MODEL_SLP_RUNNER_HPP
