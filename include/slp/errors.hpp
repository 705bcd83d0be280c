// SPDX-License-Identifier: MIT
// slp — the exceptions slp throws.
//
// Every misuse throws slp::error or a subtype, with a message that says what
// was wrong, and leaves tasklets, channels and the runnables as they were.
// slp::tasklet_exit is not a std::exception, so `catch (const
// std::exception&)` in a tasklet does not stop a kill().
//
// Example:
//   try {
//     slp::configure(cfg);
//   } catch (const slp::error& e) {
//     std::cerr << e.what() << '\n';
//   }
#ifndef SLP_ERRORS_HPP
#define SLP_ERRORS_HPP

#include <exception>
#include <stdexcept>
#include <string>

namespace slp {

// error: any misuse (Stackless' RuntimeError).
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// deadlock_error: a blocking operation with nothing left that could wake
// the caller.
class deadlock_error : public error {
 public:
  using error::error;
};

// channel_closed_error: a send or receive that would block on a closing
// channel.
class channel_closed_error : public error {
 public:
  using error::error;
};

// block_trap_error: a channel operation that would block while the
// caller's block_trap is set.
class block_trap_error : public error {
 public:
  using error::error;
};

// switch_trap_error: a real switch while the switch-trap level is above 0.
class switch_trap_error : public error {
 public:
  using error::error;
};

// tasklet_exit: thrown into a tasklet by kill(); reaching the top of the
// tasklet ends it silently. Deliberately not a std::exception.
class tasklet_exit {
 public:
  [[nodiscard]] const char* what() const noexcept { return "tasklet_exit"; }
};

// stop_iteration: sent with send_exception() to end a receiver's range-for
// loop over a channel.
class stop_iteration : public std::exception {
 public:
  [[nodiscard]] const char* what() const noexcept override {
    return "stop_iteration";
  }
};

}  // namespace slp

#endif  // SLP_ERRORS_HPP
