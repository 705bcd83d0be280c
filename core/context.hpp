// slp — an execution context: what the stack engine needs to know to
// suspend and resume one flow of control (a tasklet, or a thread's main).
//
// A context runs on its home execution stack for its whole life, or on the
// thread's own stack when home is null (main). While suspended, its frames
// are either still resident on the home stack or saved in `slice`.
#ifndef SLP_CORE_CONTEXT_HPP
#define SLP_CORE_CONTEXT_HPP

#include <cstdint>
#include <string>

#include "core/sanitizer.hpp"
#include "core/stack_slice.hpp"

namespace slp::core {

class execution_stack;

struct context {
  enum class status : std::uint8_t { fresh, running, suspended, finished };

  // body: runs the first time the context is switched to, with the value
  // passed to that switch. It must end with stack_engine::finish() and
  // never return.
  using body_fn = void (*)(context& self, void* value);

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
  body_fn body = nullptr;
  status state = status::fresh;
  std::uint64_t id = 0;               // for diagnostics
  const std::string* name = nullptr;  // for diagnostics; may be null
#if defined(SLP_TSAN)
  void* tsan_fiber = nullptr;  // this context's ThreadSanitizer fiber
#endif
};

}  // namespace slp::core

#endif  // SLP_CORE_CONTEXT_HPP
