// SPDX-License-Identifier: MIT
// slp — Stackless-style tasklets and channels for C++: the umbrella header.
//
// Example:
//   #include <slp/slp.hpp>
//   slp::tasklet{[] { std::puts("hello from a tasklet"); }}();
//   slp::run();
#ifndef SLP_SLP_HPP
#define SLP_SLP_HPP

#include "slp/channel.hpp"
#include "slp/config.hpp"
#include "slp/debug.hpp"
#include "slp/errors.hpp"
#include "slp/hooks.hpp"
#include "slp/io.hpp"
#include "slp/scheduler.hpp"
#include "slp/tasklet.hpp"
#include "slp/thread.hpp"
#include "slp/version.hpp"

#endif  // SLP_SLP_HPP
