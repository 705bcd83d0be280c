// SPDX-License-Identifier: MIT
// slp — the tasklet object behind an slp::tasklet handle.
//
// It is a context of the stack engine plus what the scheduler needs: an
// intrusive reference count, the links of the chain it is in (the
// runnables ring or a channel's queue), its flags, the exception to raise
// when it next resumes (Stackless' "bomb"), and its own C++ exception state.
#ifndef SLP_CORE_TASKLET_IMPL_HPP
#define SLP_CORE_TASKLET_IMPL_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "core/context.hpp"
#include "core/mailbox.hpp"
#include "slp/tasklet.hpp"

namespace slp::core {

class scheduler;
struct wait_site;

// eh_globals: the per-thread C++ exception state of the Itanium ABI
// (__cxa_eh_globals: the caught-exceptions stack and the uncaught count),
// kept per tasklet and swapped on every switch.
struct eh_globals {
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
};

// callable_slot: owns a tasklet's callable, which is on the heap (bind())
// or in the room allocated after the tasklet object (tasklet(fn)); bit 0
// of the pointer says which.
class callable_slot {
 public:
  callable_slot() = default;
  callable_slot(const callable_slot&) = delete;
  callable_slot& operator=(const callable_slot&) = delete;
  ~callable_slot() { reset(); }

  explicit operator bool() const noexcept { return bits_ != 0; }
  detail::callable* operator->() const noexcept { return get(); }
  [[nodiscard]] detail::callable* get() const noexcept {
    return reinterpret_cast<detail::callable*>(bits_ & ~in_room);
  }
  void own(std::unique_ptr<detail::callable> c) noexcept {
    reset();
    bits_ = reinterpret_cast<std::uintptr_t>(c.release());
  }
  void own_in_room(detail::callable* c) noexcept {
    reset();
    bits_ = reinterpret_cast<std::uintptr_t>(c) | in_room;
  }
  // reset: destroys the callable (emptied first: its destructor runs user
  // code); a callable in the room leaves its memory to the object.
  void reset() noexcept {
    const std::uintptr_t bits = std::exchange(bits_, 0);
    detail::callable* c = reinterpret_cast<detail::callable*>(bits & ~in_room);
    if ((bits & in_room) != 0) {
      c->~callable();
    } else {
      delete c;
    }
  }

 private:
  static constexpr std::uintptr_t in_room = 1;
  std::uintptr_t bits_ = 0;
};

// relaxed_flag: a bool that other threads may read while its own thread
// writes it (a remote request checks the target's state first, API.md §8):
// relaxed atomic loads and stores, the same plain moves as a bool.
class relaxed_flag {
 public:
  relaxed_flag() = default;
  relaxed_flag(const relaxed_flag&) = delete;
  relaxed_flag& operator=(const relaxed_flag&) = delete;
  relaxed_flag& operator=(bool b) noexcept {
    value_.store(b, std::memory_order_relaxed);
    return *this;
  }
  operator bool() const noexcept {  // NOLINT(google-explicit-constructor)
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> value_{false};
};

struct tasklet_impl : context {
  // create: a new tasklet object followed by `room` bytes (for its
  // callable, see room()), in one allocation; destroy: the reverse.
  static tasklet_impl* create(scheduler* owner_scheduler, std::size_t room = 0);
  static void destroy(tasklet_impl* t) noexcept;
  // room: the bytes after the object, aligned as operator new aligns.
  [[nodiscard]] void* room() noexcept;

  explicit tasklet_impl(scheduler* owner_scheduler) noexcept;
  ~tasklet_impl();

  // The small fields come first: they fill the padding after
  // context::state. (The object's size is a memory figure of
  // docs/PERFORMANCE.md: each field costs every parked tasklet.)
  //
  // While parked at a wait site, its code: +1 (sending) or -1 (receiving)
  // on a channel; 0 while not waiting. With `waiting_on` below, the record
  // of what the tasklet waits on (core/wait_site.hpp). Set under the
  // site's lock, possibly by another thread's hand-off.
  std::atomic<std::int8_t> blocked{0};
  relaxed_flag in_ring;  // changed by a visitor too (core/owner_gate.hpp)
  relaxed_flag set_up;   // alive: set up or started, not finished
  bool is_main = false;
  bool atomic = false;
  bool ignore_nesting = false;
  bool block_trap = false;
  bool waits_for_threads = false;  // inside run(threadblock)
  bool orphan = false;             // unreachable, but could not be killed yet
  // Its function was called (a tasklet killed before that stays
  // restorable, API.md §2.5).
  bool entered = false;
  int nesting = 0;
  // The handles, plus one reference the scheduler holds while the tasklet
  // is alive (set_up): moving between the ring and channel queues never
  // touches the count. 32 bits: add_ref stops the process rather than let
  // it wrap.
  std::atomic<std::uint32_t> refs{1};
  // The C++ exception state while switched out (eh_globals, in two parts
  // so that the count fills what would be padding).
  unsigned int uncaught_exceptions = 0;
  void* caught_exceptions = nullptr;

  // Chain links: the runnables ring (circular) or a channel queue (nullptr
  // at its ends).
  tasklet_impl* next = nullptr;
  tasklet_impl* prev = nullptr;
  // Every tasklet of the thread, for the kill at thread end.
  tasklet_impl* next_of_thread = nullptr;
  tasklet_impl* prev_of_thread = nullptr;

  // The scheduler of the thread the tasklet belongs to; null once that
  // thread has ended. Read by any thread; changed by bind_thread() and the
  // thread's end.
  std::atomic<scheduler*> owner;
  callable_slot fn;
  std::unique_ptr<detail::arguments> args;
  std::exception_ptr bomb;  // raised where the tasklet next resumes
  std::atomic<wait_site*> waiting_on{nullptr};  // while blocked
  // A value (or exception) sent by this tasklet while it waits to send, or
  // handed to it while it waits to receive.
  mailbox mail;

  // save_exception_state / restore_exception_state: the thread's C++
  // exception state into this tasklet as it is switched out, and back as
  // it resumes.
  void save_exception_state(const eh_globals& g) noexcept {
    caught_exceptions = g.caught_exceptions;
    uncaught_exceptions = g.uncaught_exceptions;
  }
  void restore_exception_state(eh_globals& g) const noexcept {
    g.caught_exceptions = caught_exceptions;
    g.uncaught_exceptions = uncaught_exceptions;
  }

  // live_count: tasklet objects that exist now, in the whole process (for
  // the tests' leak checks).
  static std::size_t live_count() noexcept {
    return live.load(std::memory_order_relaxed);
  }
  static std::atomic<std::size_t> live;

  // name_or_empty: the name, or an empty string.
  [[nodiscard]] const std::string& name_or_empty() const noexcept {
    static const std::string none;
    return name != nullptr ? *name : none;
  }
  [[nodiscard]] bool started() const noexcept {
    return state == status::running || state == status::suspended;
  }
  [[nodiscard]] bool is_blocked() const noexcept {
    return blocked.load(std::memory_order_relaxed) != 0;
  }
  [[nodiscard]] bool scheduled() const noexcept {
    return in_ring || is_blocked();
  }
};

// is_tasklet_exit: whether `e` holds a tasklet_exit (the one exception a
// dead tasklet accepts, and does nothing with).
bool is_tasklet_exit(const std::exception_ptr& e);

// too_many_references: stops the process: a tasklet's reference count
// would wrap (2^32 handles).
[[noreturn]] void too_many_references() noexcept;

// add_ref / release: the intrusive reference count. When only the
// scheduler's reference is left on a paused, alive tasklet, nobody can run
// it again: release kills it (started) or discards it (API.md §3.4).
inline tasklet_impl* add_ref(tasklet_impl* t) noexcept {
  if (t != nullptr &&
      t->refs.fetch_add(1, std::memory_order_relaxed) == UINT32_MAX) {
    too_many_references();
  }
  return t;
}
void release(tasklet_impl* t) noexcept;
// try_add_ref: a reference unless the last one is already gone.
inline bool try_add_ref(tasklet_impl* t) noexcept {
  std::uint32_t n = t->refs.load(std::memory_order_relaxed);
  while (n != 0) {
    if (n == UINT32_MAX) too_many_references();
    if (t->refs.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) {
      return true;
    }
  }
  return false;
}

}  // namespace slp::core

#endif  // SLP_CORE_TASKLET_IMPL_HPP
