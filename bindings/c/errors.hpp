// SPDX-License-Identifier: MIT
// The wall between C and C++ in <slp/slp.h>: every entry point runs its
// body inside guarded(), so that no C++ exception reaches C code; an
// exception becomes -1 (or NULL) plus the thread's last error, a success
// clears it. Also the way back: the C++ exception C code delivers with an
// SLP_E_* kind.
#ifndef SLP_BINDINGS_C_ERRORS_HPP
#define SLP_BINDINGS_C_ERRORS_HPP

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "slp/errors.hpp"

namespace slp::c_binding {

// misuse: an error found by the C layer itself (kind SLP_E_ERROR).
class misuse : public slp::error {
 public:
  using slp::error::error;
};

// user_exception: what C code raises with SLP_E_USER.
class user_exception : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// fail: throws misuse with "operation: what".
[[noreturn]] void fail(const char* operation, const char* what);

// clear_error: the thread's last error back to SLP_OK and "".
void clear_error() noexcept;

// record_failure: the current exception as the thread's last error; a
// tasklet_exit also marks the calling C tasklet killed (c_functions.hpp).
void record_failure(const char* operation) noexcept;

// classify: the SLP_E_* kind and the message of `e`. `operation` names the
// C call, for the messages the C layer writes itself.
void classify(std::exception_ptr e, const char* operation, int* kind,
              std::string* text);

// exception_of: the C++ exception C code delivers with `kind` and
// `message` (NULL: the kind's name); misuse for a kind C cannot deliver.
std::exception_ptr exception_of(const char* operation, int kind,
                                const char* message);

// guarded: runs `body`; any exception becomes `on_failure` and the last
// error, a success clears the last error.
template <class R, class F>
R guarded(const char* operation, R on_failure, F&& body) noexcept {
  try {
    R result = std::forward<F>(body)();
    clear_error();
    return result;
  } catch (...) {
    record_failure(operation);
    return on_failure;
  }
}

// guarded_status: guarded() for a body with no result: 0 or -1.
template <class F>
int guarded_status(const char* operation, F&& body) noexcept {
  return guarded(operation, -1, [&] {
    std::forward<F>(body)();
    return 0;
  });
}

// as_int: a C truth value.
inline int as_int(bool b) noexcept { return b ? 1 : 0; }

}  // namespace slp::c_binding

#endif  // SLP_BINDINGS_C_ERRORS_HPP
