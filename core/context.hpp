// SPDX-License-Identifier: MIT
// slp — an execution context: what the stack engine needs to know to
// suspend and resume one flow of control (a tasklet, or a thread's main).
//
// A context runs on its home execution stack for its whole life, or on the
// thread's own stack when home is null (main). While suspended, its frames
// are either still resident on the home stack or saved in `slice`.
#ifndef SLP_CORE_CONTEXT_HPP
#define SLP_CORE_CONTEXT_HPP

#include <cstdint>
#include <memory>
#include <string>

#include "core/sanitizer.hpp"
#include "core/stack_slice.hpp"

namespace slp::core {

class execution_stack;

struct context {
  enum class status : std::uint8_t { fresh, running, suspended, finished };

  // body_fn: what runs the first time a context is switched to, with the
  // value passed to that switch: one per stack engine, for all its contexts
  // (a context that needs its own dispatches from there). It must end with
  // stack_engine::finish() and never return. (noexcept: the engine enters
  // it with a jump, leaving no frame of its own in every slice.)
  using body_fn = void (*)(context& self, void* value) noexcept;

  context() = default;
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  // stack_bytes: the bytes of this context's slice held on the heap now.
  [[nodiscard]] std::size_t stack_bytes() const noexcept {
    return slice.size();
  }

  void* sp = nullptr;               // saved stack pointer while suspended
  execution_stack* home = nullptr;  // null: the thread's own stack
  stack_slice slice;                // the frames, while evicted from home
  std::uint64_t id = 0;             // for diagnostics
  // The name, for diagnostics: allocated when first set (most contexts have
  // none), then changed in place, so that the address a signal handler may
  // read stays valid.
  std::unique_ptr<std::string> name;
#if defined(SLP_TSAN)
  void* tsan_fiber = nullptr;  // this context's ThreadSanitizer fiber
#endif
  // Last, so that a derived class's small fields can fill the padding
  // after it (the Itanium C++ ABI reuses a base's tail padding).
  status state = status::fresh;
};

}  // namespace slp::core

#endif  // SLP_CORE_CONTEXT_HPP
