// SPDX-License-Identifier: MIT
// C++ exceptions to the SLP_E_* kinds and messages of <slp/slp.h>, and
// back; the thread's last error and the entry points that read it.
#include "errors.hpp"

#include <cstddef>
#include <cstring>
#include <new>

#include "c_functions.hpp"
#include "slp/slp.h"

namespace slp::c_binding {

namespace {

// The last error, per thread. Trivially destructible: it is still used
// while the thread's scheduler kills its tasklets at thread end.
constexpr std::size_t error_capacity = 512;
thread_local char error_text[error_capacity];
thread_local int error_kind = SLP_OK;

void set_error(int kind, const char* text) noexcept {
  error_kind = kind;
  std::size_t n = std::strlen(text);
  if (n >= error_capacity) n = error_capacity - 1;
  std::memcpy(error_text, text, n);
  error_text[n] = '\0';
}

const char* kind_name(int kind) noexcept {
  switch (kind) {
    case SLP_OK:
      return "ok";
    case SLP_E_ERROR:
      return "error";
    case SLP_E_DEADLOCK:
      return "deadlock";
    case SLP_E_CLOSED:
      return "channel closed";
    case SLP_E_BLOCK_TRAP:
      return "block trap";
    case SLP_E_SWITCH_TRAP:
      return "switch trap";
    case SLP_E_KILLED:
      return "tasklet_exit";
    case SLP_E_STOP_ITERATION:
      return "stop_iteration";
    case SLP_E_USER:
      return "user exception";
    case SLP_E_NO_MEMORY:
      return "out of memory";
    default:
      return "other";
  }
}

}  // namespace

void fail(const char* operation, const char* what) {
  throw misuse(std::string(operation) + ": " + what);
}

void clear_error() noexcept {
  error_kind = SLP_OK;
  error_text[0] = '\0';
}

void classify(std::exception_ptr e, const char* operation, int* kind,
              std::string* text) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const slp::tasklet_exit&) {
    *kind = SLP_E_KILLED;
    *text = std::string(operation) +
            ": the tasklet was killed (slp::tasklet_exit); return from its "
            "function";
  } catch (const slp::block_trap_error& x) {
    *kind = SLP_E_BLOCK_TRAP;
    *text = x.what();
  } catch (const slp::switch_trap_error& x) {
    *kind = SLP_E_SWITCH_TRAP;
    *text = x.what();
  } catch (const slp::channel_closed_error& x) {
    *kind = SLP_E_CLOSED;
    *text = x.what();
  } catch (const slp::deadlock_error& x) {
    *kind = SLP_E_DEADLOCK;
    *text = x.what();
  } catch (const slp::error& x) {
    *kind = SLP_E_ERROR;
    *text = x.what();
  } catch (const user_exception& x) {
    *kind = SLP_E_USER;
    *text = x.what();
  } catch (const slp::stop_iteration& x) {
    *kind = SLP_E_STOP_ITERATION;
    *text = x.what();
  } catch (const std::bad_alloc&) {
    *kind = SLP_E_NO_MEMORY;
    *text = std::string(operation) + ": out of memory";
  } catch (const std::exception& x) {
    *kind = SLP_E_OTHER;
    *text = x.what();
  } catch (...) {
    *kind = SLP_E_OTHER;
    *text = std::string(operation) + ": an unknown C++ exception";
  }
}

void record_failure(const char* operation) noexcept {
  int kind = SLP_E_OTHER;
  try {
    std::string text;
    classify(std::current_exception(), operation, &kind, &text);
    if (kind == SLP_E_KILLED) mark_killed();
    set_error(kind, text.c_str());
  } catch (...) {  // no memory for the message
    if (kind == SLP_E_KILLED) mark_killed();
    set_error(kind, operation);
  }
}

std::exception_ptr exception_of(const char* operation, int kind,
                                const char* message) {
  const std::string text = message != nullptr ? message : kind_name(kind);
  switch (kind) {
    case SLP_E_ERROR:
      return std::make_exception_ptr(slp::error(text));
    case SLP_E_DEADLOCK:
      return std::make_exception_ptr(slp::deadlock_error(text));
    case SLP_E_CLOSED:
      return std::make_exception_ptr(slp::channel_closed_error(text));
    case SLP_E_BLOCK_TRAP:
      return std::make_exception_ptr(slp::block_trap_error(text));
    case SLP_E_SWITCH_TRAP:
      return std::make_exception_ptr(slp::switch_trap_error(text));
    case SLP_E_KILLED:
      return std::make_exception_ptr(slp::tasklet_exit());
    case SLP_E_STOP_ITERATION:
      return std::make_exception_ptr(slp::stop_iteration());
    case SLP_E_USER:
      return std::make_exception_ptr(user_exception(text));
    case SLP_E_OTHER:
      return std::make_exception_ptr(std::runtime_error(text));
    default:
      fail(operation, ("kind " + std::to_string(kind) +
                       " is not an exception C code can deliver")
                          .c_str());
  }
}

}  // namespace slp::c_binding

extern "C" {

const char* slp_last_error(void) { return slp::c_binding::error_text; }

int slp_last_error_kind(void) { return slp::c_binding::error_kind; }

void slp_clear_error(void) { slp::c_binding::clear_error(); }

}  // extern "C"
