// SPDX-License-Identifier: MIT
// The reference model of the differential test (issue 9): an executable reading
// of API.md §2–§5 (docs/CONTRACT.md) with no stack switching at all. Each
// tasklet is a program counter and a note of the operation it is suspended in;
// the runnables are a deque whose front is the current tasklet; channels are
// queues with a balance. Where the contract is silent the model does what
// Stackless does (SB = the behavioural reference), and model.cpp says so at
// each such place.
//
// Example:
//   slp_model::trace expected = slp_model::run_model(program);
#ifndef SLP_TESTS_MODEL_MODEL_HPP
#define SLP_TESTS_MODEL_MODEL_HPP

#include <string>

#include "program.hpp"
#include "trace.hpp"

namespace slp_model {

// model_options: opt-in deviations from the contract (as the model reads
// it) that make the model follow slp on a divergence already reported, so
// that a run can look past it for others. None is on by default: the
// ctest run is strict. Names, for `--assume a,b` and SLP_MODEL_ASSUME:
//   outer-watchdogs-first: when a run() wakes, the deeper watchdogs it
//     pops go back to the runnables outermost first (upstream Stackless
//     pops and re-inserts the innermost first).
struct model_options {
  bool outer_watchdogs_first = false;
};

// parse_model_options: from a comma-separated list of names; throws
// std::invalid_argument for an unknown one.
[[nodiscard]] model_options parse_model_options(const std::string& names);
[[nodiscard]] std::string to_text(const model_options& o);

// run_model: the trace the contract requires for `p`.
[[nodiscard]] trace run_model(const program& p,
                              const model_options& options = {});

}  // namespace slp_model

#endif  // SLP_TESTS_MODEL_MODEL_HPP
