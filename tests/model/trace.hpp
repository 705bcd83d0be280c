// SPDX-License-Identifier: MIT
// The event trace both runs of a program write (issue 9). Events are text,
// so a divergence prints as two readable lines.
//
//   t1 begin | <state>                     a body starts
//   t1#3 > send c0 =104                    operation 3 of t1 starts
//   t1#3 < ok | <state>                    ... and returns (or throws)
//   t1 end prog(104) | <state>             the body ends (ok, exit, or what
//                                          it let through)
//   t1 handler prog(104)                   the error handler, in t1
//   final ok                               everything cleaned up
//
// <state> is the state after the event: run_count, the runnables from the
// current tasklet (next()), each channel (balance, closing, preference,
// schedule_all, its queue), one letter per tasklet (c current, r runnable,
// b blocked, p paused, n not alive; `*` after a restorable one) and the
// recording tasklet's atomic / block_trap flags; then, from slp only,
// `!` and the invariants its queries break (never expected).
//
// Outcomes: ok, =<received value>, none / t<i> (what run() returned),
// old=<0|1> (set_atomic), exit, prog(<value>), deadlock, closed,
// block_trap, switch_trap, error, other(<what>).
#ifndef SLP_TESTS_MODEL_TRACE_HPP
#define SLP_TESTS_MODEL_TRACE_HPP

#include <cstddef>
#include <string>
#include <vector>

#include "program.hpp"

namespace slp_model {

// program_exception: the exception programs throw and send, carrying an
// int; deliberately not derived from std::exception or slp::error.
struct program_exception {
  int value;
};

struct channel_view {
  int balance = 0;
  bool closing = false;
  int preference = -1;
  bool schedule_all = false;
  std::vector<int> queue;
};

struct snapshot {
  std::size_t run_count = 0;
  std::vector<int> ring;
  std::vector<channel_view> channels;
  std::string states;
  bool atomic = false;
  bool block_trap = false;
  // problems: what slp's own queries contradict (prev() against next(), a
  // slice held by a running or dead tasklet, ...); the model has none.
  std::string problems;
};

struct trace {
  std::vector<std::string> events;
  std::size_t operations = 0;  // operations started
};

[[nodiscard]] std::string to_text(const snapshot& s);
[[nodiscard]] std::string start_event(int self, std::size_t pc,
                                      const operation& op);
[[nodiscard]] std::string end_event(int self, std::size_t pc,
                                    const std::string& outcome,
                                    const snapshot& s);
[[nodiscard]] std::string begin_event(int self, const snapshot& s);
[[nodiscard]] std::string body_end_event(int self, const std::string& outcome,
                                         const snapshot& s);
[[nodiscard]] std::string handler_event(int self, const std::string& outcome);

// state_letter: the letter of one tasklet in snapshot::states.
[[nodiscard]] std::string state_letter(bool current, bool blocked,
                                       bool scheduled, bool paused, bool alive,
                                       bool restorable);

}  // namespace slp_model

#endif  // SLP_TESTS_MODEL_TRACE_HPP
