// SPDX-License-Identifier: MIT
// Test support: a context with a std::function body on a bare stack_engine,
// for the tests of the switch and of stack slicing (below the tasklet API).
#ifndef SLP_TESTS_FIBER_HARNESS_HPP
#define SLP_TESTS_FIBER_HARNESS_HPP

#include <functional>
#include <string>
#include <utility>

#include "core/context.hpp"
#include "core/stack_engine.hpp"

namespace slp::test {

// fiber: runs `fn` on an execution stack of `engine`; when `fn` returns,
// control goes to `after` (main by default) and the fiber is finished.
struct fiber : core::context {
  fiber(core::stack_engine& e, core::context& after_fn,
        std::function<void(fiber&)> f, std::uint64_t fiber_id = 0,
        std::string fiber_name = {})
      : engine(e), after(&after_fn), fn(std::move(f)) {
    id = fiber_id;
    if (!fiber_name.empty()) {
      name = std::make_unique<std::string>(std::move(fiber_name));
    }
  }
  ~fiber() { engine.forget(*this); }

  // switch_to: suspends this fiber (the running one) and resumes `other`.
  void* switch_to(core::context& other, void* value = nullptr) {
    return engine.transfer(*this, other, value);
  }

  core::stack_engine& engine;
  core::context* after;
  std::function<void(fiber&)> fn;

  // body: the body of the fibers' stack engine: runs fn, then finishes.
  static void body(core::context& self, void*) noexcept {
    auto& f = static_cast<fiber&>(self);
    f.fn(f);
    f.engine.finish(f, *f.after, nullptr);
  }
};

// main_context: the thread's own flow of control, already running.
inline void make_running(core::context& c) {
  c.state = core::context::status::running;
}

}  // namespace slp::test

#endif  // SLP_TESTS_FIBER_HARNESS_HPP
