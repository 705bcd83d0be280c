// SPDX-License-Identifier: MIT
// A process with hardware shadow stacks (arch/shadow_stack.h): this
// machine's CPU has none, so this binary stands for one by defining the
// query itself (the library's definition is weak). The first slp call of a
// thread fails with slp::error saying why and what to do, creates nothing,
// and fails the same way again.
#include "arch/shadow_stack.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "slp/slp.hpp"

extern "C" int slp_shadow_stack_enabled(void) { return 1; }

namespace {

const char* const expected =
    "slp: this process runs with hardware shadow stacks (x86-64 SHSTK), "
    "which stack slicing cannot keep consistent; run it without them, e.g. "
    "with GLIBC_TUNABLES=glibc.cpu.x86_shstk=off";

TEST(ShadowStackTest, TheFirstCallOfAThreadIsRefusedAndCreatesNothing) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      (void)slp::run_count();
      ADD_FAILURE() << "slp started under a shadow stack";
    } catch (const slp::error& e) {
      EXPECT_EQ(std::string(e.what()), expected) << "attempt " << attempt;
    }
    EXPECT_FALSE(slp::has_scheduler()) << "attempt " << attempt;
  }
}

TEST(ShadowStackTest, ATaskletCannotBeMadeEither) {
  try {
    slp::tasklet t{[] {}};
    ADD_FAILURE() << "a tasklet was made under a shadow stack";
  } catch (const slp::error& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
  EXPECT_FALSE(slp::has_scheduler());
}

TEST(ShadowStackTest, EveryThreadIsRefused) {
  std::string what;
  std::thread([&] {
    try {
      (void)slp::current();
    } catch (const slp::error& e) {
      what = e.what();
    }
  }).join();
  EXPECT_EQ(what, expected);
}

}  // namespace
