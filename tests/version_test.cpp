// SPDX-License-Identifier: MIT
// The version slp's headers report: slp::version() and the SLP_VERSION_*
// macros agree with each other and with project(slp VERSION ...) in
// CMakeLists.txt, which the build passes in as SLP_TEST_PROJECT_VERSION.
// Only <slp/slp.hpp> is included, so this also checks that it pulls in
// <slp/version.hpp>.
#include <gtest/gtest.h>

#include <string>

#include "slp/slp.hpp"

#ifndef SLP_TEST_PROJECT_VERSION
#error "tests/CMakeLists.txt passes the project version in"
#endif

// The macros are plain numbers, usable in #if.
#if !(SLP_VERSION_MAJOR >= 0 && SLP_VERSION_MINOR >= 0 && \
      SLP_VERSION_PATCH >= 0)
#error "SLP_VERSION_MAJOR, _MINOR and _PATCH must be numbers"
#endif

namespace {

TEST(VersionTest, VersionIsTheCMakeProjectVersion) {
  EXPECT_EQ(std::string(slp::version()), SLP_TEST_PROJECT_VERSION);
  EXPECT_EQ(std::string(SLP_VERSION_STRING), SLP_TEST_PROJECT_VERSION);
}

TEST(VersionTest, VersionIsMajorMinorPatchFromTheMacros) {
  const std::string from_macros = std::to_string(SLP_VERSION_MAJOR) + "." +
                                  std::to_string(SLP_VERSION_MINOR) + "." +
                                  std::to_string(SLP_VERSION_PATCH);
  EXPECT_EQ(std::string(slp::version()), from_macros);
}

TEST(VersionTest, VersionIsAConstantExpression) {
  constexpr const char* version = slp::version();
  static_assert(version[0] >= '0' && version[0] <= '9',
                "slp::version() starts with the major version");
  EXPECT_EQ(std::string(version), SLP_VERSION_STRING);
}

}  // namespace
