// SPDX-License-Identifier: MIT
// scheduler_fuzz: libFuzzer over the operation language of the
// differential test (tests/model, issue 9). Every input decodes to a
// program (slp_model::decode_program); the program runs under slp and
// under the reference model, and any difference between the two traces,
// any crash and any sanitizer report is a finding.
//
//   scheduler_fuzz -runs=20000 NEW_DIR tests/fuzz/corpus  # a short run
//   scheduler_fuzz crash-<sha1>                           # replay one
//
// SLP_MODEL_ASSUME (see tests/model/model.hpp) names divergences already
// reported for which the model follows slp, to look past them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "differential.hpp"
#include "model.hpp"
#include "program.hpp"

namespace {

slp_model::model_options assumptions;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  try {
    if (const char* names = std::getenv("SLP_MODEL_ASSUME"))
      assumptions = slp_model::parse_model_options(names);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scheduler_fuzz: %s\n", e.what());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const slp_model::program p = slp_model::decode_program(data, size);
  const slp_model::verdict v = slp_model::check_program(p, assumptions);
  if (!v.same) {
    std::fprintf(stderr, "scheduler_fuzz: slp and the model disagree\n%s",
                 slp_model::report(p, v).c_str());
    std::abort();
  }
  return 0;
}
