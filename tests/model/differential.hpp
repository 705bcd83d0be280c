// SPDX-License-Identifier: MIT
// The differential check of issue 9: a program's trace under slp must be
// the model's, event for event.
//
// Example:
//   slp_model::verdict v = slp_model::check_program(p);
//   if (!v.same) std::cerr << slp_model::report(p, v);
#ifndef SLP_TESTS_MODEL_DIFFERENTIAL_HPP
#define SLP_TESTS_MODEL_DIFFERENTIAL_HPP

#include <cstddef>
#include <string>

#include "model.hpp"
#include "program.hpp"
#include "trace.hpp"

namespace slp_model {

struct verdict {
  bool same = true;
  trace expected;                    // the model's
  trace actual;                      // slp's
  std::size_t first_divergence = 0;  // index of the first differing event
};

// check_program: runs `p` under the model and under slp and compares.
[[nodiscard]] verdict check_program(const program& p,
                                    const model_options& options = {});

// report: the seed, the program, both traces side by side up to a few
// events past the first divergence, and how to reproduce it.
[[nodiscard]] std::string report(const program& p, const verdict& v);

// minimize: drops operations, frames and flags from a diverging program
// while it still diverges; returns the smallest program found.
[[nodiscard]] program minimize(program p, const model_options& options = {});

}  // namespace slp_model

#endif  // SLP_TESTS_MODEL_DIFFERENTIAL_HPP
