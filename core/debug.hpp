// SPDX-License-Identifier: MIT
// slp — what the diagnostics of API.md §11 say about tasklets: their
// state in words, their frames, the dump of a thread, and the blocked
// tasklets a deadlock_error names. The walk itself is core/backtrace.hpp.
#ifndef SLP_CORE_DEBUG_HPP
#define SLP_CORE_DEBUG_HPP

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "slp/debug.hpp"

namespace slp::core {

class scheduler;
struct tasklet_impl;

// wait_text: "sending on channel 7", "receiving on channel 7", or empty
// when `t` does not wait.
std::string wait_text(const tasklet_impl& t);
// state_text: running, runnable, blocked ..., paused.
std::string state_text(const tasklet_impl& t, const scheduler& s);
// blocked_tasklets: " Blocked: tasklet 3 'a' receiving on channel 7; ..."
// for the blocked tasklets of `s`'s thread (at most 16 named), or empty.
std::string blocked_tasklets(scheduler& s);
// check_own_thread: slp::error naming `t`'s thread if it is not the
// calling thread's.
void check_own_thread(const tasklet_impl& t, const char* operation);
// frames_of: tasklet::backtrace(); `caller` as walk_frames takes it.
std::vector<frame> frames_of(const tasklet_impl& t, std::size_t max_frames,
                             void* caller);
// dump: slp::dump_tasklets(); `caller` starts the running tasklet's frames.
void dump(std::ostream& out, void* caller);

}  // namespace slp::core

#endif  // SLP_CORE_DEBUG_HPP
