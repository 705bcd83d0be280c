// SPDX-License-Identifier: MIT
// slp — tasklets: Stackless' microthreads, as cheap shared handles.
//
// A tasklet runs a callable on an execution stack of its thread. It is
// switched only at well-defined points (schedule(), a channel operation,
// run(), a watchdog tick), by the hard switch of arch/: registers are saved
// and the used slice of its stack is copied to the heap when another
// tasklet needs the stack. Handles share ownership: the scheduler holds a
// reference while the tasklet is runnable, running or blocked, so
// `slp::tasklet{f}(1, 2);` with no handle kept is normal use.
//
// Example:
//   std::vector<int> order;
//   slp::tasklet a{[&](int n) { order.push_back(n); slp::schedule();
//                               order.push_back(n + 10); }};
//   a(1);                       // bound, set up, runnable
//   slp::tasklet{[&] { order.push_back(2); }}();
//   slp::run();                 // order == {1, 2, 11}
#ifndef SLP_TASKLET_HPP
#define SLP_TASKLET_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "slp/debug.hpp"
#include "slp/internal/tasklet_detail.hpp"

namespace slp {

// stack_range: where a tasklet's frames are on its home execution stack:
// from `pointer`, its saved stack pointer, up to `top`, one past the highest
// byte of that stack. While the frames are saved on the heap
// (tasklet::stack_bytes()), these are the addresses they will have again.
struct stack_range {
  const void* pointer = nullptr;
  const void* top = nullptr;
};

class tasklet {
 public:
  // tasklet: a new, unbound tasklet (not alive), of the calling thread.
  tasklet();
  // tasklet: a new tasklet of the calling thread bound to `fn` (not alive,
  // not scheduled). `fn` may be move-only; its result is discarded. A value
  // that cannot be a function does not compile; a null function pointer
  // gets slp::error.
  template <class F,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, tasklet>>>
  explicit tasklet(F&& fn) : impl_(new_bound(std::forward<F>(fn))) {}

  tasklet(const tasklet& other) noexcept;
  tasklet(tasklet&& other) noexcept;
  tasklet& operator=(const tasklet& other) noexcept;
  tasklet& operator=(tasklet&& other) noexcept;
  // ~tasklet: drops this handle. Dropping the last handle of a paused,
  // started tasklet kills it (its stack unwinds), so nothing leaks.
  ~tasklet();

  // bind: (re)binds to `fn`. slp::error for the current tasklet, a
  // scheduled or blocked one, one that has started and not finished, or a
  // null function pointer; a value that cannot be a function does not
  // compile. A tasklet whose thread has ended may be rebound (then
  // bind_thread() adopts it); one of another living thread may not.
  template <class F>
  tasklet& bind(F&& fn) {
    using D = std::decay_t<F>;
    static_assert(detail::may_be_callable<D>,
                  "slp::tasklet::bind: the function is not callable");
    detail::check_not_null<D>(fn, "slp::tasklet::bind");
    return bind_callable(
        std::make_unique<detail::callable_of<D>>(D(std::forward<F>(fn))));
  }
  // bind: binds `fn` and stores `args` (decayed copies): the tasklet is
  // alive and paused, like Stackless' bind(func, args); insert() or run()
  // starts it. The call is checked at compile time.
  template <class F, class A0, class... A>
  tasklet& bind(F&& fn, A0&& a0, A&&... args) {
    using D = std::decay_t<F>;
    static_assert(
        std::is_invocable_v<D&, std::decay_t<A0>&&, std::decay_t<A>&&...>,
        "slp::tasklet::bind: the function cannot be called with "
        "these arguments");
    detail::check_not_null<D>(fn, "slp::tasklet::bind");
    return bind_callable(
        std::make_unique<
            detail::bound_call_of<D, std::decay_t<A0>, std::decay_t<A>...>>(
            D(std::forward<F>(fn)), std::decay_t<A0>(std::forward<A0>(a0)),
            std::decay_t<A>(std::forward<A>(args))...),
        true);
  }
  // unbind: back to unbound (not alive). Errors as bind(); unbinding main.
  tasklet& unbind();

  // setup: stores decayed copies of `args`, then insert(). slp::error if
  // the tasklet is alive, not bound, or its function's parameters (decayed)
  // are not exactly the types of `args` — the function's type is erased
  // when it is bound, so this check happens here, at run time; bind(fn,
  // args...) checks at compile time. A tasklet of another thread is set up
  // here and made runnable in its own thread.
  template <class... A>
  tasklet& setup(A&&... args) {
    std::unique_ptr<detail::arguments> stored;
    if constexpr (sizeof...(A) > 0) {
      stored = std::make_unique<detail::arguments_of<std::decay_t<A>...>>(
          std::decay_t<A>(std::forward<A>(args))...);
    }
    return setup_arguments(std::move(stored),
                           typeid(std::tuple<std::decay_t<A>...>));
  }
  // operator(): the same as setup().
  template <class... A>
  tasklet& operator()(A&&... args) {
    return setup(std::forward<A>(args)...);
  }

  // insert: links the tasklet at the tail of the runnables (just before the
  // current tasklet); no-op if scheduled. slp::error if blocked, dead or
  // unbound.
  tasklet& insert();
  // remove: unlinks it from the runnables; it becomes paused. No-op if not
  // scheduled. slp::error if blocked or current.
  tasklet& remove();
  // run: insert() if needed and switch to it now; the caller stays
  // runnable. A paused target lands just before the caller; a scheduled one
  // is jumped to. Errors as insert(); slp::switch_trap_error. A tasklet of
  // another thread is made to run next in its own thread instead, and the
  // caller does not switch (insert(), remove(), kill() and
  // throw_exception() likewise act in the tasklet's own thread). Their
  // errors are raised in the caller, checked against the target's state
  // before the request is posted.
  void run();
  // switch_to: like run(), but the caller becomes paused. A no-op on the
  // current tasklet; slp::error for a tasklet of another thread.
  void switch_to();

  // throw_exception: delivers `e` where the tasklet is suspended (API.md
  // §2.3). pending == false switches to it now; pending == true makes
  // it runnable and returns. slp::error for a dead or unbound tasklet,
  // except that slp::tasklet_exit to one is a no-op.
  void throw_exception(std::exception_ptr e, bool pending = false);
  // raise_exception: throw_exception(std::make_exception_ptr(E(args...))).
  template <class E, class... A>
  void raise_exception(A&&... args) {
    throw_exception(std::make_exception_ptr(E(std::forward<A>(args)...)));
  }
  // kill: throw_exception(slp::tasklet_exit); a no-op on a dead or unbound
  // tasklet.
  void kill(bool pending = false);

  // bind_thread: moves a tasklet that has not started (and is not
  // scheduled) to the calling thread, also one whose thread has ended.
  // slp::error for a runnable or started tasklet.
  tasklet& bind_thread();

  // set_atomic: returns the old value; an atomic tasklet is never
  // preempted by the watchdog.
  bool set_atomic(bool flag) noexcept;
  // set_ignore_nesting: returns the old value; allows preemption while
  // nesting_level() > 0.
  bool set_ignore_nesting(bool flag) noexcept;
  // set_block_trap: while set, a channel operation that would block throws
  // slp::block_trap_error.
  void set_block_trap(bool flag) noexcept;
  // set_name: the name used in diagnostics (stack overflow messages).
  void set_name(std::string name);

  // alive: set up or started, and not finished.
  [[nodiscard]] bool alive() const noexcept;
  // paused: alive, and neither runnable nor blocked.
  [[nodiscard]] bool paused() const noexcept;
  // blocked: waiting on a channel.
  [[nodiscard]] bool blocked() const noexcept;
  // scheduled: runnable or blocked.
  [[nodiscard]] bool scheduled() const noexcept;
  // restorable: true until the tasklet first runs.
  [[nodiscard]] bool restorable() const noexcept;
  [[nodiscard]] bool atomic() const noexcept;
  [[nodiscard]] bool ignore_nesting() const noexcept;
  [[nodiscard]] bool block_trap() const noexcept;
  [[nodiscard]] bool is_current() const noexcept;
  [[nodiscard]] bool is_main() const noexcept;
  // prev, next: the neighbours in the runnables ring or a channel's queue
  // (std::nullopt at the ends of a queue, or when not linked).
  [[nodiscard]] std::optional<tasklet> prev() const noexcept;
  [[nodiscard]] std::optional<tasklet> next() const noexcept;
  // nesting_level: enclosing nesting_guard scopes plus enclosing slp::run()
  // calls of this tasklet.
  [[nodiscard]] int nesting_level() const noexcept;
  // stack_bytes: bytes of this tasklet's stack slice held on the heap now.
  [[nodiscard]] std::size_t stack_bytes() const noexcept;
  // stack_range: where this tasklet's frames are. For the running tasklet,
  // `pointer` is null (its stack pointer moves; the address of a local
  // tells where it is). Both are null when the tasklet has not started, has
  // finished, is main (it runs on the thread's own stack) or belongs to
  // another thread.
  [[nodiscard]] slp::stack_range stack_range() const noexcept;
  // thread_id: the thread the tasklet belongs to (std::thread::id() once
  // that thread has ended).
  [[nodiscard]] std::thread::id thread_id() const noexcept;
  // id: unique in the process, never reused.
  [[nodiscard]] std::uint64_t id() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;
  // backtrace: the calls the tasklet is suspended in, innermost first, at
  // most `max_frames` (API.md §11); for the current tasklet, where
  // backtrace() was called. Empty for a tasklet that has not started or
  // has ended. Changes nothing: no tasklet runs, no hook fires, no slice
  // moves. slp::error for a tasklet of another thread.
  [[nodiscard]] std::vector<frame> backtrace(std::size_t max_frames = 64) const;

  friend bool operator==(const tasklet& a, const tasklet& b) noexcept {
    return a.impl_ == b.impl_;
  }
  friend bool operator!=(const tasklet& a, const tasklet& b) noexcept {
    return a.impl_ != b.impl_;
  }

 private:
  friend struct core::handle_access;
  // tasklet: adopts one reference to `impl`.
  explicit tasklet(core::tasklet_impl* impl) noexcept : impl_(impl) {}

  // new_bound: what tasklet(fn) holds: one allocation for the object and
  // the callable (bind() allocates the callable on its own).
  template <class F>
  static core::tasklet_impl* new_bound(F&& fn) {
    static_assert(detail::may_be_callable<std::decay_t<F>>,
                  "slp::tasklet: the function is not callable");
    if constexpr (std::is_function_v<std::remove_reference_t<F>>) {
      return new_bound(&fn);  // a function: stored as its pointer
    } else if constexpr (detail::callable_fits_room<F>) {
      detail::check_not_null<std::decay_t<F>>(fn, "slp::tasklet");
      return detail::tasklet_new_bound(
          sizeof(detail::callable_of<std::decay_t<F>>),
          &detail::make_callable_in<F>,
          const_cast<void*>(static_cast<const void*>(std::addressof(fn))));
    } else {
      tasklet t;
      t.bind(std::forward<F>(fn));
      return std::exchange(t.impl_, nullptr);
    }
  }
  tasklet& bind_callable(std::unique_ptr<detail::callable> fn,
                         bool with_arguments = false);
  tasklet& setup_arguments(std::unique_ptr<detail::arguments> args,
                           const std::type_info& types);

  core::tasklet_impl* impl_;
};

}  // namespace slp

#endif  // SLP_TASKLET_HPP
